import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { decodeConfigText } from "../../src/config/loadConfig.js"
import { paramsUpdate, splitLogBatch } from "../../src/tracking/Mlflow.js"
import { configParams, flattenConfig } from "../../src/tracking/params.js"

const paramsOf = (yaml: string) =>
  Effect.map(decodeConfigText("test.yaml", yaml, []), (loaded) => configParams(loaded.config))

describe("config params", () => {
  it.effect("log every setting of the resolved config under its path", () =>
    Effect.gen(function*() {
      const params = yield* paramsOf("data:\n  source: { kind: synthetic, length: 300, period: 7 }\n")
      for (
        const key of [
          "train.clip_norm", "train.weight_decay", "train.beta1", "train.beta2", "train.schedule.kind",
          "train.schedule.factor", "train.early_stopping.patience", "train.early_stopping.monitor",
          "data.source.kind", "data.lookback", "eval.season", "runtime.threads", "runtime.engine", "seed", "tracking.trackers"
        ]
      ) expect(params, key).toHaveProperty([key])
      expect(Object.keys(params).length).toBeGreaterThanOrEqual(40)
      expect(params["train.clip_norm"]).toBe(1)
      expect(params["tracking.trackers"]).toBe('["jsonl","tensorboard"]')
      expect(params["run_name"]).toBe("null")
      // two runs that differ only in clip_norm differ in their params
      const other = yield* paramsOf("data:\n  source: { kind: synthetic, length: 300, period: 7 }\ntrain: { clip_norm: 0.5 }\n")
      const differing = Object.keys(params).filter((k) => params[k] !== other[k])
      expect(differing).toEqual(["train.clip_norm"])
    }))

  it("flattens nested objects, arrays and nulls", () => {
    expect(flattenConfig({ a: { b: 1, c: [1, 2], d: null, e: {} }, f: "x", g: true })).toEqual({
      "a.b": 1, "a.c": "[1,2]", "a.d": "null", "a.e": "{}", f: "x", g: true
    })
  })

  it("MLflow gets them in requests of at most 100, values at most 6000 characters; changed ones as tags", () => {
    const params = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, i === 0 ? "x".repeat(7000) : i]))
    const update = paramsUpdate(new Map([["p1", "1"], ["p2", "7"]]), params)
    expect(update.params).toHaveLength(248)
    expect(update.params[0]!.value.length).toBe(6000)
    expect(update.tags).toEqual([{ key: "changed.p2", value: "7 → 2" }])
    const parts = splitLogBatch(update)
    expect(parts.map((p) => p.params.length)).toEqual([100, 100, 48])
    expect(parts.every((p) => p.metrics.length === 0)).toBe(true)
  })
})
