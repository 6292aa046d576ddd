import { describe, expect, it } from "@effect/vitest"
import { maseScale, panelErrors, rmsseScale, seriesErrors } from "../../src/evaluate/scaled.js"

describe("scale-free errors", () => {
  it("in-sample scales: seasonal-naive MAE and one-step naive MSE of the train rows", () => {
    const train = [10, 12, 11, 15, 14]
    // season 2: |11-10|, |15-12|, |14-11| → (1 + 3 + 3) / 3
    expect(maseScale(train, 2)).toBeCloseTo(7 / 3, 12)
    // steps 2, -1, 4, -1 → (4 + 1 + 16 + 1) / 4
    expect(rmsseScale(train)).toBeCloseTo(22 / 4, 12)
  })

  it("per series and macro / micro averages match a hand computation", () => {
    const a = { id: "a", actual: [10, 20], predicted: [12, 17], maseScale: 2, rmsseScale: 4 }
    const b = { id: "b", actual: [100, 100, 100], predicted: [100, 110, 94], maseScale: 5, rmsseScale: 25 }
    // a: errors 2, -3 → MAE 2.5, MSE 6.5; MASE 2.5 / 2 = 1.25; RMSSE sqrt(6.5 / 4)
    const ea = seriesErrors(a)
    expect(ea.mae).toBeCloseTo(2.5, 12)
    expect(ea.rmse).toBeCloseTo(Math.sqrt(6.5), 12)
    expect(ea.mase).toBeCloseTo(1.25, 12)
    expect(ea.rmsse).toBeCloseTo(Math.sqrt(6.5 / 4), 12)
    // b: errors 0, 10, -6 → MAE 16/3, MSE 136/3; MASE 16/15; RMSSE sqrt(136/75)
    const panel = panelErrors([a, b])
    expect(panel.series.map((s) => s.id)).toEqual(["a", "b"])
    expect(panel.series[1]!.mase).toBeCloseTo(16 / 15, 12)
    expect(panel.series[1]!.rmsse).toBeCloseTo(Math.sqrt(136 / 75), 12)
    expect(panel.macro.mase).toBeCloseTo((1.25 + 16 / 15) / 2, 12)
    expect(panel.macro.rmse).toBeCloseTo((Math.sqrt(6.5) + Math.sqrt(136 / 3)) / 2, 12)
    // micro: all 5 errors pooled: |e| = 2+3+0+10+6 = 21, e² = 4+9+0+100+36 = 149
    expect(panel.micro.count).toBe(5)
    expect(panel.micro.mae).toBeCloseTo(21 / 5, 12)
    expect(panel.micro.rmse).toBeCloseTo(Math.sqrt(149 / 5), 12)
    expect(panel.micro.mase).toBeCloseTo(21 / (2 * 2 + 3 * 5), 12)
    expect(panel.micro.rmsse).toBeCloseTo(Math.sqrt(149 / (2 * 4 + 3 * 25)), 12)
  })

  it("a series without a finite scale is left out of the macro mean and of the micro MASE / RMSSE", () => {
    const a = { id: "a", actual: [10, 20], predicted: [12, 17], maseScale: 2, rmsseScale: 4 }
    // constant train rows: scale 0, MASE infinite
    const flat = { id: "flat", actual: [5, 5], predicted: [6, 5], maseScale: 0, rmsseScale: 0 }
    // too few train rows for a scale
    const short = { id: "short", actual: [1], predicted: [3], maseScale: Number.NaN, rmsseScale: Number.NaN }
    const panel = panelErrors([a, flat, short])
    expect(panel.series[1]!.mase).toBe(Infinity)
    expect(panel.series[2]!.mase).toBeNaN()
    expect(panel.macro.mase).toBeCloseTo(1.25, 12)
    // RMSE is finite for every series: all three count
    expect(panel.macro.rmse).toBeCloseTo((Math.sqrt(6.5) + Math.sqrt(0.5) + 2) / 3, 12)
    // micro MASE: a's and flat's errors (5 + 1) over 2·2 + 2·0; short's point is out
    expect(panel.micro.mase).toBeCloseTo(6 / 4, 12)
    expect(panel.micro.mae).toBeCloseTo(8 / 5, 12)
    expect(panel.micro.count).toBe(5)
    expect(panelErrors([short]).micro.mase).toBeNaN()
  })
})
