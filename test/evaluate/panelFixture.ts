import { Effect, Schema } from "effect"
import { CalendarConfig } from "../../src/data/DataConfig.js"
import type { Dataset, DatasetManifest } from "../../src/data/Dataset.js"
import { makeLayout } from "../../src/data/layout.js"
import { makeSplit, type WindowInputs } from "../../src/data/views.js"
import { TrainConfig } from "../../src/config/TrainConfig.js"

/**
 * Two series with their own scalers and levels, season 2:
 * a = 10 12 11 15 14 16 | 18 17 20 19   (6 train rows, scaler center 10, scale 2)
 * b = 100 120 110 150 140 | 130 160 150 (5 train rows, scaler center 100, scale 20)
 * In-sample scales: a: MASE (|11−10|+|15−12|+|14−11|+|16−15|)/4 = 2, RMSSE (4+1+16+1+4)/5 = 5.2;
 * b: MASE (10+30+30)/3 = 70/3, RMSSE (400+100+1600+100)/4 = 550.
 */
const a = [10, 12, 11, 15, 14, 16, 18, 17, 20, 19]
const b = [100, 120, 110, 150, 140, 130, 160, 150]
const target = Float64Array.from([...a, ...b])
const offsets = Int32Array.of(0, a.length, a.length + b.length)
const scalers = [{ center: [10], scale: [2] }, { center: [100], scale: [20] }]
/** The model's forecast for each row of the concatenated series (the test rows only). */
const forecastOf = new Map([[6, 19], [7, 17], [8, 18], [9, 19], [10 + 5, 140], [10 + 6, 150], [10 + 7, 150]])

/** One input feature holding the concatenated row of the step after it, so a window's input names its target row. */
const inputs: WindowInputs = { rows: Float32Array.from({ length: target.length }, (_, r) => r + 1), features: 1, offsets }

/** The manifest fields every hand-built one-feature ("value"), lookback-1, no-calendar dataset shares. */
export const valueManifest = (horizon: number) => ({
  features: ["value"],
  target: "value",
  layout: makeLayout(["value"], [], horizon),
  featureColumns: [],
  futureColumns: [],
  calendar: Schema.decodeUnknownSync(CalendarConfig)({ day_of_week: false, day_of_year: false }),
  holidays: [],
  lookback: 1,
  horizon,
  stride: 1,
  statics: [],
  fingerprint: ""
}) satisfies Partial<DatasetManifest>

/** A panel dataset of series a and b with the given (series, start) windows per split. */
export const panel = (horizon: number, windows: { val: Array<[number, number]>; test: Array<[number, number]> }): Dataset => {
  const split = (list: Array<[number, number]>) =>
    makeSplit(inputs, 1, new Float32Array(list.length * horizon), Int32Array.from(list, ([, start]) => start), Int32Array.from(list, ([s]) => s))
  const counts = (s: number) => ({ train: 0, val: windows.val.filter(([w]) => w === s).length, test: windows.test.filter(([w]) => w === s).length })
  return {
    manifest: {
      ...valueManifest(horizon),
      source: "test panel",
      scaler: { kind: "standard", center: [50], scale: [10] },
      counts: { train: 0, val: windows.val.length, test: windows.test.length },
      rows: { train: 11, val: 0, test: 7 },
      series: [
        { id: "a", rows: { train: 6, val: 0, test: 4 }, counts: counts(0), first: "a0", last: "a9", scaler: scalers[0]! },
        { id: "b", rows: { train: 5, val: 0, test: 3 }, counts: counts(1), first: "b0", last: "b7", scaler: scalers[1]! }
      ],
      seriesFormat: "long",
      seriesColumn: "id",
      timeKind: "none"
    },
    series: {
      ids: ["a", "b"],
      offsets,
      time: [...a.map((_, t) => `a${t}`), ...b.map((_, t) => `b${t}`)],
      target
    },
    inputs,
    splits: { train: split([]), val: split(windows.val), test: split(windows.test) }
  }
}

const seriesOfRow = (row: number) => (row >= a.length ? 1 : 0)

/** Scaled outputs of the model: for each window (its input names its first target row), the forecasts of its `horizon` rows. */
export const predictFor = (horizon: number) => (x: Float32Array, n: number) =>
  Effect.succeed(Float32Array.from({ length: n * horizon }, (_, k) => {
    const row = x[Math.floor(k / horizon)]! + (k % horizon)
    const scaler = scalers[seriesOfRow(row)]!
    return ((forecastOf.get(row) ?? 0) - scaler.center[0]!) / scaler.scale[0]!
  }))

/** Season 2, both splits. */
export const config = Schema.decodeUnknownSync(TrainConfig)({ eval: { season: 2, splits: ["val", "test"] } })
/** Every test window of both series at horizon 1. */
export const testWindows: Array<[number, number]> = [[0, 6], [0, 7], [0, 8], [0, 9], [1, 5], [1, 6], [1, 7]]

/**
 * `n` series of `rows` rows each (series s is a weekly pattern at level 100·(s+1)), the last
 * `testRows` rows of each in test, the rest in train, and a model that forecasts 1% high.
 */
export const manySeries = (n: number, rows: number, testRows: number, horizon: number) => {
  const total = n * rows
  const target = Float64Array.from({ length: total }, (_, k) => 100 * (Math.floor(k / rows) + 1) + 10 * Math.sin((2 * Math.PI * k) / 7))
  const offsets = Int32Array.from({ length: n + 1 }, (_, s) => s * rows)
  const inputs: WindowInputs = { rows: Float32Array.from({ length: total }, (_, r) => r + 1), features: 1, offsets }
  const starts = Array.from({ length: testRows - horizon + 1 }, (_, k) => rows - testRows + k)
  const windows = Array.from({ length: n }, (_, s) => starts.map((start) => [s, start] as const)).flat()
  const test = makeSplit(inputs, 1, new Float32Array(windows.length * horizon), Int32Array.from(windows, ([, t]) => t), Int32Array.from(windows, ([s]) => s))
  const none = makeSplit(inputs, 1, new Float32Array(0), new Int32Array(0), new Int32Array(0))
  const ids = Array.from({ length: n }, (_, s) => `store-${String(s).padStart(4, "0")}`)
  const dataset: Dataset = {
    manifest: {
      ...valueManifest(horizon),
      source: "synthetic panel",
      scaler: { kind: "standard", center: [0], scale: [1] },
      counts: { train: 0, val: 0, test: windows.length },
      rows: { train: n * (rows - testRows), val: 0, test: n * testRows },
      series: ids.map((id) => ({
        id,
        rows: { train: rows - testRows, val: 0, test: testRows },
        counts: { train: 0, val: 0, test: starts.length },
        first: "0",
        last: String(rows - 1)
      })),
      seriesFormat: "long",
      seriesColumn: "store",
      timeKind: "number"
    },
    series: { ids, offsets, time: Array.from({ length: total }, (_, k) => String(k % rows)), target },
    inputs,
    splits: { train: none, val: none, test }
  }
  // the window's input names its first target row; forecast each step 1% above the actual
  const predict = (x: Float32Array, count: number) =>
    Effect.succeed(Float32Array.from({ length: count * horizon }, (_, k) => 1.01 * target[x[Math.floor(k / horizon)]! + (k % horizon)]!))
  return { dataset, predict }
}
