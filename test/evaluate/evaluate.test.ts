import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { TrainConfig } from "../../src/config/TrainConfig.js"
import type { Dataset, Split } from "../../src/data/Dataset.js"
import { makeSplit, type WindowInputs } from "../../src/data/views.js"
import { evaluate, splitForecasts } from "../../src/evaluate/evaluate.js"
import { valueManifest } from "./panelFixture.js"

/** target[t] = 100 + t, so every index read shows in the value; the target is scaled as (v − 50) / 2. */
const rows = 20
const target = Float64Array.from({ length: rows }, (_, t) => 100 + t)

const datasetWith = (horizon: number, splits: { val: Split; test: Split }): Dataset => ({
  manifest: {
    ...valueManifest(horizon),
    source: "test",
    scaler: { kind: "standard", center: [50], scale: [2] },
    counts: { train: 0, val: splits.val.n, test: splits.test.n },
    rows: { train: 0, val: 0, test: rows },
    series: [{
      id: "value",
      rows: { train: 0, val: 0, test: rows },
      counts: { train: 0, val: splits.val.n, test: splits.test.n },
      first: "t0",
      last: `t${rows - 1}`
    }],
    seriesFormat: "single",
    timeKind: "none"
  },
  series: { ids: ["value"], offsets: inputs.offsets, time: Array.from({ length: rows }, (_, t) => `t${t}`), target },
  inputs,
  splits: { train: splitAt([], horizon), ...splits }
})

/** One input feature whose row r holds r + 1, so a window's one input (row start − 1) holds its start row. */
const inputs: WindowInputs = {
  rows: Float32Array.from({ length: rows }, (_, r) => r + 1),
  features: 1,
  offsets: Int32Array.of(0, rows)
}

/** Windows whose first target step is each of `starts`; each window's one input holds its start row. */
const splitAt = (starts: ReadonlyArray<number>, horizon: number): Split =>
  makeSplit(inputs, 1, new Float32Array(starts.length * horizon), Int32Array.from(starts), new Int32Array(starts.length))

/** Scaled model outputs that unscale to `values`. */
const scaled = (values: ReadonlyArray<number>) => Float32Array.from(values, (v) => (v - 50) / 2)

describe("splitForecasts", () => {
  it("horizon 1: the value one season back, the last observed value, and the unscaled model output", () => {
    const split = splitAt([8, 12], 1)
    const f = splitForecasts(datasetWith(1, { val: split, test: split }), split, scaled([107.5, 113]), 7)
    expect(Array.from(f.actual)).toEqual([108, 112])
    expect(Array.from(f.predicted)).toEqual([107.5, 113])
    // start − 1
    expect(Array.from(f.lastValue)).toEqual([107, 111])
    expect(Array.from(f.previous)).toEqual([107, 111])
    // start − 7
    expect(Array.from(f.seasonal)).toEqual([101, 105])
  })

  it("a horizon within one season: step h looks back one season from its own time", () => {
    const split = splitAt([8], 3)
    const f = splitForecasts(datasetWith(3, { val: split, test: split }), split, scaled([0, 0, 0]), 4)
    expect(Array.from(f.actual)).toEqual([108, 109, 110])
    // 8−4, 9−4, 10−4
    expect(Array.from(f.seasonal)).toEqual([104, 105, 106])
    expect(Array.from(f.lastValue)).toEqual([107, 107, 107])
  })

  it("a horizon longer than the season looks back whole seasons until the value was observed", () => {
    // season 2, start 8 (last observed row 7): steps at 8, 9, 10, 11, 12
    const split = splitAt([8], 5)
    const f = splitForecasts(datasetWith(5, { val: split, test: split }), split, scaled([0, 0, 0, 0, 0]), 2)
    // 8−2, 9−2, 10−2·2, 11−2·2, 12−2·3: never past row 7
    expect(Array.from(f.seasonal)).toEqual([106, 107, 106, 107, 106])
    expect(Math.max(...f.seasonal)).toBeLessThanOrEqual(target[7]!)
  })

  it("falls back to the last value where the series has no value a season back", () => {
    const split = splitAt([1, 3], 2)
    const f = splitForecasts(datasetWith(2, { val: split, test: split }), split, scaled([0, 0, 0, 0]), 3)
    // window 0: rows 1, 2 → 1−3 < 0 and 2−3 < 0 → last value (row 0); window 1: rows 3, 4 → 0, 1
    expect(Array.from(f.seasonal)).toEqual([100, 100, 100, 101])
    // window-major, step-minor
    expect(Array.from(f.actual)).toEqual([101, 102, 103, 104])
  })
})

describe("evaluate", () => {
  const config = Schema.decodeUnknownSync(TrainConfig)({ eval: { season: 7, splits: ["val", "test"] } })

  it.effect("scores the model and both baselines per split and keeps the test forecasts", () =>
    Effect.gen(function*() {
      const val = splitAt([9, 10], 1)
      const test = splitAt([14, 15, 16], 1)
      const dataset = datasetWith(1, { val, test })
      // a perfect model: it forecasts the target at the row its input names
      const predict = (x: Float32Array, n: number) => Effect.succeed(scaled(Array.from(x.subarray(0, n), (row) => target[row]!)))
      const { report, testPredictions } = yield* evaluate({ config, dataset, predict })
      const t = report.splits.test!
      expect(t.model.rmse).toBe(0)
      // the last value is always 1 below, the value a week back always 7 below
      expect(t.baselines.last_value.rmse).toBe(1)
      expect(t.baselines.seasonal_naive.rmse).toBe(7)
      expect(t.skill).toEqual({ vs_last_value: 1, vs_seasonal_naive: 1 })
      expect(report.splits.val!.model.count).toBe(2)
      expect(testPredictions).toEqual([
        { series: "value", time: "t14", actual: 114, predicted: 114, seasonal_naive: 107, last_value: 113 },
        { series: "value", time: "t15", actual: 115, predicted: 115, seasonal_naive: 108, last_value: 114 },
        { series: "value", time: "t16", actual: 116, predicted: 116, seasonal_naive: 109, last_value: 115 }
      ])
    }))
})
