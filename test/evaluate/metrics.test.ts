import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { forecastMetrics, type ForecastMetrics, MetricNumber, skill } from "../../src/evaluate/metrics.js"

// d = predicted − actual = [2, −2, 3, 0]
const actual = [10, 20, 30, 40]
const predicted = [12, 18, 33, 40]
// true moves from previous: up, up, down, flat; predicted moves: up, down, up
const previous = [8, 19, 31, 40]

describe("forecastMetrics on a hand-computed example", () => {
  const m = forecastMetrics(actual, predicted, previous)

  it("mse, rmse and mae", () => {
    // (4 + 4 + 9 + 0) / 4
    expect(m.mse).toBe(4.25)
    expect(m.rmse).toBe(Math.sqrt(4.25))
    expect(m.rmse).toBeCloseTo(2.0615528, 7)
    // (2 + 2 + 3 + 0) / 4
    expect(m.mae).toBe(1.75)
    expect(m.count).toBe(4)
  })

  it("mape in percent", () => {
    // (2/10 + 2/20 + 3/30 + 0/40) / 4 = 0.4 / 4
    expect(m.mape).toBeCloseTo(10, 12)
  })

  it("smape in percent", () => {
    // 2|d| / (|a| + |p|): 4/22 + 4/38 + 6/63 + 0/80 = 1678/4389, over 4 forecasts
    expect(m.smape).toBeCloseTo((100 * 1678) / 4389 / 4, 12)
    expect(m.smape).toBeCloseTo(9.557986, 6)
  })

  it("r2 against the mean of the actuals", () => {
    // mean 25: Σ(a − mean)² = 225 + 25 + 25 + 225 = 500; 1 − 17/500
    expect(m.r2).toBeCloseTo(0.966, 12)
  })

  it("directional accuracy over the forecasts whose actual value moved", () => {
    // the flat fourth forecast is not counted; only the first direction is right
    expect(m.directional_accuracy).toBeCloseTo(1 / 3, 15)
  })
})

describe("forecastMetrics edge cases", () => {
  it("mape skips zero actuals; smape counts them unless both are zero", () => {
    const m = forecastMetrics([0, 10, 0], [1, 12, 0], [0, 0, 0])
    // only 2/10 has a percentage
    expect(m.mape).toBeCloseTo(20, 12)
    // 2·1/(0+1) = 2 and 2·2/22; the 0-vs-0 forecast is skipped
    expect(m.smape).toBeCloseTo((100 * (2 + 4 / 22)) / 2, 12)
  })

  it("r2 is negative for a forecast worse than the mean, and undefined for a constant series", () => {
    // Σd² = 4 + 0 + 4 = 8; Σ(a − 2)² = 2; 1 − 8/2
    expect(forecastMetrics([1, 2, 3], [3, 2, 1], [0, 0, 0]).r2).toBe(-3)
    expect(forecastMetrics([5, 5], [5, 6], [0, 0]).r2).toBeNaN()
  })

  it("a perfect forecast scores 0 error, r2 1 and every direction right", () => {
    const m = forecastMetrics(actual, actual, previous)
    expect([m.mse, m.rmse, m.mae, m.mape, m.smape, m.r2, m.directional_accuracy]).toEqual([0, 0, 0, 0, 0, 1, 1])
  })

  it("a forecast equal to the previous value never gets the direction right", () => {
    expect(forecastMetrics([11, 9], [10, 10], [10, 10]).directional_accuracy).toBe(0)
  })

  it("directional accuracy is undefined when nothing moved", () => {
    expect(forecastMetrics([3, 4], [2, 5], [3, 4]).directional_accuracy).toBeNaN()
  })

  it("no forecasts: every metric is undefined and the count 0", () => {
    const m = forecastMetrics([], [], [])
    expect([m.mse, m.rmse, m.mae, m.mape, m.smape, m.r2, m.directional_accuracy].every(Number.isNaN)).toBe(true)
    expect(m.count).toBe(0)
  })
})

describe("skill", () => {
  const withRmse = (rmse: number): ForecastMetrics => ({ ...forecastMetrics([1], [1], [0]), rmse })

  it("is 1 − RMSE_model / RMSE_baseline", () => {
    expect(skill(withRmse(2), withRmse(4))).toBe(0.5)
    expect(skill(withRmse(0), withRmse(4))).toBe(1)
    // worse than the baseline: negative
    expect(skill(withRmse(5), withRmse(4))).toBe(-0.25)
  })

  it("is undefined against a perfect or undefined baseline", () => {
    expect(skill(withRmse(2), withRmse(0))).toBeNaN()
    expect(skill(withRmse(2), withRmse(Number.NaN))).toBeNaN()
  })
})

describe("MetricNumber", () => {
  it("stores an undefined metric as JSON null and reads it back as NaN", () => {
    expect(Schema.encodeSync(MetricNumber)(Number.NaN)).toBeNull()
    expect(Schema.encodeSync(MetricNumber)(Number.POSITIVE_INFINITY)).toBeNull()
    expect(Schema.encodeSync(MetricNumber)(1.5)).toBe(1.5)
    expect(Schema.decodeUnknownSync(MetricNumber)(null)).toBeNaN()
    expect(Schema.decodeUnknownSync(MetricNumber)(2)).toBe(2)
  })
})
