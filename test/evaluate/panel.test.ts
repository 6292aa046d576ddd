import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { EvalReport, evaluate, splitForecasts } from "../../src/evaluate/evaluate.js"
import { config, manySeries, panel, predictFor, testWindows } from "./panelFixture.js"

// the two series a and b of panelFixture: see its comment for their values and in-sample scales

describe("evaluate on a panel", () => {
  it.effect("per-series RMSE, MAE, MASE, RMSSE, baselines and skill, and macro / micro averages, as computed by hand", () =>
    Effect.gen(function*() {
      const dataset = panel(1, { val: [], test: testWindows })
      const { report, testPredictions } = yield* evaluate({ config, dataset, predict: predictFor(1) })
      const t = report.splits.test!
      expect(report.splits.val).toBeUndefined()
      expect(t.series!.map((s) => [s.id, s.count])).toEqual([["a", 4], ["b", 3]])
      const [sa, sb] = t.series!
      // a: actual 18 17 20 19, forecast 19 17 18 19 → errors 1 0 −2 0: MAE 3/4, MSE 5/4
      expect(sa!.model.mae).toBeCloseTo(0.75, 12)
      expect(sa!.model.rmse).toBeCloseTo(Math.sqrt(1.25), 12)
      expect(sa!.model.mase).toBeCloseTo(0.75 / 2, 12)
      expect(sa!.model.rmsse).toBeCloseTo(Math.sqrt(1.25 / 5.2), 12)
      // a's last value 16 18 17 20 (errors −2 1 −3 1), seasonal naive 14 16 18 17 (errors −4 −1 −2 −2)
      expect(sa!.baselines.last_value.rmse).toBeCloseTo(Math.sqrt(15 / 4), 12)
      expect(sa!.baselines.seasonal_naive.mae).toBeCloseTo(9 / 4, 12)
      expect(sa!.baselines.seasonal_naive.mase).toBeCloseTo(9 / 8, 12)
      expect(sa!.skill.vs_last_value).toBeCloseTo(1 - Math.sqrt(1.25 / 3.75), 12)
      // b: actual 130 160 150, forecast 140 150 150 → errors 10 −10 0: MAE 20/3, MSE 200/3
      expect(sb!.model.mae).toBeCloseTo(20 / 3, 12)
      expect(sb!.model.rmse).toBeCloseTo(Math.sqrt(200 / 3), 12)
      expect(sb!.model.mase).toBeCloseTo(2 / 7, 12)
      expect(sb!.model.rmsse).toBeCloseTo(Math.sqrt(200 / 3 / 550), 12)
      expect(sb!.model.mape).toBeCloseTo((100 * (10 / 130 + 10 / 160)) / 3, 10)
      // b's seasonal naive 150 140 130 → errors 20 −20 −20
      expect(sb!.baselines.seasonal_naive.rmse).toBeCloseTo(20, 12)
      expect(sb!.skill.vs_seasonal_naive).toBeCloseTo(1 - Math.sqrt(200 / 3) / 20, 12)

      expect(t.macro!.model.mase).toBeCloseTo((0.375 + 2 / 7) / 2, 12)
      expect(t.macro!.model.rmse).toBeCloseTo((Math.sqrt(1.25) + Math.sqrt(200 / 3)) / 2, 12)
      expect(t.macro!.baselines.seasonal_naive.mase).toBeCloseTo((9 / 8 + 20 / (70 / 3)) / 2, 12)
      // micro: Σ|e| = 3 + 20 over Σ n·scale = 4·2 + 3·70/3; Σe² = 5 + 200 over 7 points
      expect(t.micro!.model.mase).toBeCloseTo(23 / 78, 12)
      expect(t.micro!.model.rmse).toBeCloseTo(Math.sqrt(205 / 7), 12)
      expect(t.micro!.model.rmsse).toBeCloseTo(Math.sqrt(205 / (4 * 5.2 + 3 * 550)), 12)
      expect(t.micro!.model.count).toBe(7)
      // the overall keys: pooled, and their scale-free errors are the micro ones
      expect(t.model.rmse).toBeCloseTo(Math.sqrt(205 / 7), 12)
      expect(t.scale_free.model.mase).toBeCloseTo(23 / 78, 12)
      expect(t.steps).toBeUndefined()

      expect(testPredictions.map((p) => [p.series, p.time, p.actual, p.predicted])).toEqual([
        ["a", "a6", 18, 19],
        ["a", "a7", 17, 17],
        ["a", "a8", 20, 18],
        ["a", "a9", 19, 19],
        ["b", "b5", 130, 140],
        ["b", "b6", 160, 150],
        ["b", "b7", 150, 150]
      ])
      // survives eval.json's encoding
      const json = JSON.parse(JSON.stringify(Schema.encodeSync(EvalReport)(report)))
      expect(Schema.decodeUnknownSync(EvalReport)(json).splits.test!.series![1]!.model.mase).toBeCloseTo(2 / 7, 12)
    }))

  it.effect("horizon 2: per-step pooled and macro metrics", () =>
    Effect.gen(function*() {
      const dataset = panel(2, { val: [], test: [[0, 6], [0, 7], [0, 8], [1, 5], [1, 6]] })
      const { report } = yield* evaluate({ config, dataset, predict: predictFor(2) })
      const steps = report.splits.test!.steps!
      expect(steps.map((s) => [s.step, s.count])).toEqual([[1, 5], [2, 5]])
      // step 1: a rows 6 7 8 (errors 1 0 −2), b rows 5 6 (errors 10 −10)
      expect(steps[0]!.model.rmse).toBeCloseTo(Math.sqrt(205 / 5), 12)
      expect(steps[0]!.model.mase).toBeCloseTo(23 / (3 * 2 + 2 * (70 / 3)), 12)
      expect(steps[0]!.macro.model.mase).toBeCloseTo((1 / 2 + 10 / (70 / 3)) / 2, 12)
      expect(steps[0]!.macro.model.rmse).toBeCloseTo((Math.sqrt(5 / 3) + 10) / 2, 12)
      // step 2: a rows 7 8 9 (errors 0 −2 0), b rows 6 7 (errors −10 0)
      expect(steps[1]!.model.rmse).toBeCloseTo(Math.sqrt(104 / 5), 12)
      expect(steps[1]!.model.mae).toBeCloseTo(12 / 5, 12)
      expect(steps[1]!.macro.model.mase).toBeCloseTo((2 / 3 / 2 + 5 / (70 / 3)) / 2, 12)
      // the last value is the same for both steps of a window: a's 16 18 17 vs 17 20 19, b's 140 130 vs 160 150 at step 2
      expect(steps[1]!.baselines.last_value.mae).toBeCloseTo((1 + 2 + 2 + 20 + 20) / 5, 12)
      // the whole split pools both steps
      expect(report.splits.test!.model.count).toBe(10)
      expect(report.splits.test!.series!.map((s) => s.count)).toEqual([6, 4])
    }))

  it("the seasonal naive never reaches into the series before it", () => {
    const dataset = panel(1, { val: [[1, 1], [0, 1]], test: testWindows })
    const split = dataset.splits.val
    const f = splitForecasts(dataset, split, new Float32Array(2), 2)
    // b's row 1 one season back is before b's first row: its last value (b0 = 100), not a's row 9 (19)
    expect(Array.from(f.seasonal)).toEqual([100, 10])
  })

  it.effect("eval.json of 1,000 series: one entry per series and step, no per-point data", () =>
    Effect.gen(function*() {
      const size = (testRows: number) =>
        Effect.map(evaluate({ config, ...manySeries(1000, 120, testRows, 7) }), ({ report }) => {
          expect(report.splits.test!.series).toHaveLength(1000)
          expect(report.splits.test!.steps).toHaveLength(7)
          // as Persist writes it
          return JSON.stringify(Schema.encodeSync(EvalReport)(report), null, 2).length
        })
      const short = yield* size(30)
      const long = yield* size(60)
      // twice the forecasts, the same size: it grows with the series, not with the points
      expect(Math.abs(long - short) / short).toBeLessThan(0.02)
      expect(short).toBeLessThan(1_500_000)
    }))
})
