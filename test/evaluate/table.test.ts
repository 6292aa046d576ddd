import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { PointMetrics, SeriesReport } from "../../src/evaluate/breakdown.js"
import { evaluate } from "../../src/evaluate/evaluate.js"
import { rankSeries, representativeSeries, worstSeries } from "../../src/evaluate/rank.js"
import { metricsTable, shownSteps } from "../../src/evaluate/table.js"
import { config, panel, predictFor, testWindows } from "./panelFixture.js"

const metrics = (rmse: number, mase: number): PointMetrics => ({ rmse, mae: rmse, mape: 1, smape: 1, mase, rmsse: mase })
const series = (id: string, rmse: number, mase: number): SeriesReport => ({
  id,
  count: 10,
  model: metrics(rmse, mase),
  baselines: { last_value: metrics(2 * rmse, 2 * mase), seasonal_naive: metrics(2 * rmse, 2 * mase) },
  skill: { vs_last_value: 0.5, vs_seasonal_naive: 0.5 }
})

describe("worst series", () => {
  const panelOf = [series("s1", 50, 0.9), series("s2", 900, 0.4), series("s3", 10, 1.7), series("s4", 5, 0.2), series("s5", 70, 1.1), series("s6", 3, 1.3), series("s7", 8, 0.6)]

  it("ranks by MASE, not by size: the 5 worst of 7, worst first", () => {
    const worst = worstSeries(panelOf, 5)
    expect(worst.by).toBe("mase")
    expect(worst.series.map((s) => s.id)).toEqual(["s3", "s6", "s5", "s1", "s7"])
  })

  it("ranks by RMSE when some series has no finite MASE", () => {
    const worst = worstSeries([...panelOf, series("flat", 1, Infinity)], 3)
    expect(worst.by).toBe("rmse")
    expect(worst.series.map((s) => s.id)).toEqual(["s2", "s5", "s1"])
  })

  it("best, median and worst; fewer when there are fewer series", () => {
    expect(representativeSeries(panelOf).map((r) => [r.place, r.series.id])).toEqual([["best", "s4"], ["median", "s1"], ["worst", "s3"]])
    expect(representativeSeries(panelOf.slice(0, 2)).map((r) => [r.place, r.series.id])).toEqual([["best", "s2"], ["worst", "s1"]])
    expect(representativeSeries(panelOf.slice(0, 1)).map((r) => r.place)).toEqual(["best"])
    expect(rankSeries([]).series).toEqual([])
  })
})

describe("metricsTable", () => {
  it.effect("a panel: the overall table, macro and micro lines, and the worst series of test", () =>
    Effect.gen(function*() {
      const evaluation = yield* evaluate({ config, dataset: panel(1, { val: [[0, 3], [1, 3]], test: testWindows }), predict: predictFor(1) })
      const table = metricsTable(evaluation)
      const lines = table.split("\n")
      expect(lines.filter((l) => /^ {2}model /.test(l))).toHaveLength(2)
      expect(table).toContain("2 series — macro: mean over series, micro: pooled over every forecast")
      const macro = lines.find((l, i) => l.startsWith("  macro model") && i > lines.indexOf("test:"))!
      // test macro: RMSE (√1.25 + √(200/3)) / 2, MASE (0.375 + 2/7) / 2
      expect(macro.trim().split(/\s+/).slice(2)).toEqual([((Math.sqrt(1.25) + Math.sqrt(200 / 3)) / 2).toFixed(4), "3.7083", (((0.375 + 2 / 7) / 2)).toFixed(4), expect.any(String)])
      // one worst-series list, for test; a (MASE 0.375) is worse than b (2/7) though b's errors are larger
      expect(lines.filter((l) => l.includes("worst"))).toEqual(["  worst 2 series of test by MASE (skill: RMSE vs seasonal naive):"])
      const worst = lines.slice(lines.findIndex((l) => l.includes("worst")) + 2).map((l) => l.trim().split(/\s+/)[0])
      expect(worst).toEqual(["a", "b"])
    }))

  it.effect("a single series: no macro, micro or worst-series lines", () =>
    Effect.gen(function*() {
      const dataset = panel(1, { val: [], test: testWindows.filter(([s]) => s === 0) })
      const table = metricsTable(yield* evaluate({ config, dataset, predict: predictFor(1) }))
      expect(table).not.toMatch(/macro|micro|worst/)
      expect(table.split("\n")[0]).toBe("test:")
    }))

  it.effect("horizon > 1: RMSE and MASE per horizon step", () =>
    Effect.gen(function*() {
      const dataset = panel(2, { val: [], test: [[0, 6], [0, 7], [0, 8], [1, 5], [1, 6]] })
      const lines = metricsTable(yield* evaluate({ config, dataset, predict: predictFor(2) })).split("\n")
      expect(lines.find((l) => l.includes("step 1"))!.trim().split(/\s{2,}/)).toEqual(["step 1", "step 2"])
      // pooled RMSE of step 1: √(205/5); step 2: √(104/5)
      expect(lines.find((l) => l.startsWith("  model rmse"))!.trim().split(/\s+/).slice(2)).toEqual([Math.sqrt(41).toFixed(4), Math.sqrt(20.8).toFixed(4)])
      expect(shownSteps(3)).toEqual([1, 2, 3])
      expect(shownSteps(28)).toEqual([1, 2, 7, 14, 21, 28])
    }))
})
