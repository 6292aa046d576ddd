import { Schema } from "effect"
import { fileURLToPath } from "node:url"
import { DataConfig, type DataConfigEncoded } from "../../src/data/DataConfig.js"
import { type Split, windowsX } from "../../src/data/views.js"

/** Directory of the CSV fixtures; it plays the config file's directory in tests. */
export const fixturesDir = fileURLToPath(new URL("../fixtures/data/", import.meta.url))

/** A decoded `data:` section from YAML-shaped input, defaults filled in. */
export const dataConfig = (input: DataConfigEncoded): DataConfig => Schema.decodeUnknownSync(DataConfig)(input)

/** The fixture CSV (120 days of sales) as a source. */
export const salesSource = {
  kind: "csv",
  path: "sales.csv",
  time_column: "date",
  target_column: "units",
  feature_columns: ["temperature", "promo"]
} as const

/** Every window's inputs of a split, gathered in order into one [n, lookback, features] array. */
export const splitX = (split: Split, lookback: number, features: number): Float32Array =>
  windowsX(split, lookback, features, 0, split.n)
