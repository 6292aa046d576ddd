import { Schema } from "effect"

/** A number that may be NaN (undefined metric), stored in JSON as null. */
export const MetricNumber = Schema.transform(Schema.NullOr(Schema.Number), Schema.Number, {
  strict: true,
  decode: (v) => v ?? Number.NaN,
  encode: (v) => (Number.isFinite(v) ? v : null)
})

/** Forecast quality in original units. */
export const ForecastMetrics = Schema.Struct({
  mse: MetricNumber,
  rmse: MetricNumber,
  mae: MetricNumber,
  /** Mean absolute percentage error, in percent (targets equal to 0 are skipped). */
  mape: MetricNumber,
  /** Symmetric MAPE, in percent (0–200). */
  smape: MetricNumber,
  r2: MetricNumber,
  /** Share of forecasts whose direction of change from the last observed value is right (0–1). */
  directional_accuracy: MetricNumber,
  count: Schema.Number
})
export type ForecastMetrics = typeof ForecastMetrics.Type

/**
 * Metrics of `predicted` against `actual` (same length), where `previous[i]` is the last value
 * observed before forecast i (for directional accuracy).
 */
export const forecastMetrics = (
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  previous: ArrayLike<number>
): ForecastMetrics => {
  const n = actual.length
  let se = 0
  let ae = 0
  let ape = 0
  let apeCount = 0
  let sape = 0
  let sapeCount = 0
  let mean = 0
  let directionHits = 0
  let directionCount = 0
  for (let i = 0; i < n; i++) mean += actual[i]!
  mean /= Math.max(1, n)
  let ss = 0
  for (let i = 0; i < n; i++) {
    const a = actual[i]!
    const p = predicted[i]!
    const d = p - a
    se += d * d
    ae += Math.abs(d)
    ss += (a - mean) * (a - mean)
    if (a !== 0) {
      ape += Math.abs(d / a)
      apeCount++
    }
    const denom = Math.abs(a) + Math.abs(p)
    if (denom > 0) {
      sape += (2 * Math.abs(d)) / denom
      sapeCount++
    }
    const trueMove = Math.sign(a - previous[i]!)
    if (trueMove !== 0) {
      directionCount++
      if (Math.sign(p - previous[i]!) === trueMove) directionHits++
    }
  }
  const mse = n > 0 ? se / n : Number.NaN
  return {
    mse,
    rmse: Math.sqrt(mse),
    mae: n > 0 ? ae / n : Number.NaN,
    mape: apeCount > 0 ? (100 * ape) / apeCount : Number.NaN,
    smape: sapeCount > 0 ? (100 * sape) / sapeCount : Number.NaN,
    r2: ss > 0 ? 1 - se / ss : Number.NaN,
    directional_accuracy: directionCount > 0 ? directionHits / directionCount : Number.NaN,
    count: n
  }
}

/** Skill against a baseline: 1 − RMSE_model / RMSE_baseline (positive = better than the baseline). */
export const skill = (model: { readonly rmse: number }, baseline: { readonly rmse: number }): number =>
  baseline.rmse > 0 ? 1 - model.rmse / baseline.rmse : Number.NaN
