import { Schema } from "effect"
import { TrainConfig } from "../config/TrainConfig.js"
import type { Params } from "./Tracker.js"

/**
 * A resolved config as tracker params: every leaf under its dotted path (`train.clip_norm`,
 * `data.source.kind`), arrays and empty objects as JSON text, null as "null", so that two runs
 * that differ in any setting differ in their params.
 */
export const flattenConfig = (config: unknown): Params => {
  const out: Record<string, string | number | boolean> = {}
  const visit = (value: unknown, key: string): void => {
    if (value === null || value === undefined) {
      out[key] = "null"
    } else if (typeof value === "number" || typeof value === "boolean" || typeof value === "string") {
      out[key] = value
    } else if (typeof value === "bigint") {
      out[key] = value.toString()
    } else if (Array.isArray(value)) {
      out[key] = JSON.stringify(value)
    } else if (typeof value === "object") {
      const entries = Object.entries(value)
      if (entries.length === 0 && key !== "") out[key] = "{}"
      for (const [k, v] of entries) visit(v, key === "" ? k : `${key}.${k}`)
    } else {
      out[key] = String(value)
    }
  }
  visit(config, "")
  return out
}

/** The whole resolved config, encoded as it is written to config.yaml, as flat tracker params. */
export const configParams = (config: TrainConfig): Params => flattenConfig(Schema.encodeSync(TrainConfig)(config))
