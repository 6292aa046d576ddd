/**
 * Scale-free errors (M4/M5): the forecast error divided by the in-sample error of a naive
 * forecast on the series' own train rows, so series of any size can be averaged.
 */

/** Mean |y[t] - y[t-season]| over t in [season, rows): the seasonal-naive in-sample MAE (MASE's denominator). */
export const maseScale = (train: ArrayLike<number>, season: number): number => {
  let sum = 0
  let n = 0
  for (let t = season; t < train.length; t++) {
    sum += Math.abs(train[t]! - train[t - season]!)
    n++
  }
  return n === 0 ? Number.NaN : sum / n
}

/** Mean (y[t] - y[t-1])² over the train rows: the one-step naive in-sample MSE (RMSSE's denominator, as in M5). */
export const rmsseScale = (train: ArrayLike<number>): number => {
  let sum = 0
  for (let t = 1; t < train.length; t++) sum += (train[t]! - train[t - 1]!) ** 2
  return train.length < 2 ? Number.NaN : sum / (train.length - 1)
}

/** One series' forecasts in original units and its two in-sample scales. */
export interface SeriesForecasts {
  readonly id: string
  readonly actual: ArrayLike<number>
  readonly predicted: ArrayLike<number>
  /** `maseScale` of its train rows. */
  readonly maseScale: number
  /** `rmsseScale` of its train rows. */
  readonly rmsseScale: number
}

/** Errors of one series (or an aggregate). */
export interface ScaledErrors {
  readonly rmse: number
  readonly mae: number
  readonly mase: number
  readonly rmsse: number
  readonly count: number
}

/** RMSE, MAE, MASE = MAE / maseScale and RMSSE = sqrt(MSE / rmsseScale) of one series. */
export const seriesErrors = (series: SeriesForecasts): ScaledErrors => {
  let se = 0
  let ae = 0
  const n = series.actual.length
  for (let i = 0; i < n; i++) {
    const d = series.predicted[i]! - series.actual[i]!
    se += d * d
    ae += Math.abs(d)
  }
  const mse = n === 0 ? Number.NaN : se / n
  const mae = n === 0 ? Number.NaN : ae / n
  return { rmse: Math.sqrt(mse), mae, mase: mae / series.maseScale, rmsse: Math.sqrt(mse / series.rmsseScale), count: n }
}

/** Per-series errors and their macro (mean over series) and micro (pooled over every forecast) averages. */
export interface PanelErrors {
  readonly series: ReadonlyArray<ScaledErrors & { readonly id: string }>
  readonly macro: ScaledErrors
  readonly micro: ScaledErrors
}

/**
 * Macro: each metric averaged over series (every series counts the same), over the series where
 * it is finite (a series whose train rows are constant has an infinite MASE and is left out of
 * that mean). Micro: pooled over all forecasts — RMSE and MAE over every point;
 * MASE = Σ|e| / Σ nᵢ·maseScaleᵢ and RMSSE = sqrt(Σe² / Σ nᵢ·rmsseScaleᵢ), i.e. each point
 * scaled by its own series, over the series whose scale is defined.
 */
export const panelErrors = (all: ReadonlyArray<SeriesForecasts>): PanelErrors => {
  const perSeries = all.map((s) => ({ id: s.id, ...seriesErrors(s) }))
  const mean = (pick: (e: ScaledErrors) => number) => {
    const finite = perSeries.map(pick).filter(Number.isFinite)
    return finite.length === 0 ? Number.NaN : finite.reduce((sum, v) => sum + v, 0) / finite.length
  }
  let se = 0
  let ae = 0
  let count = 0
  const mase = { errors: 0, denominator: 0 }
  const rmsse = { errors: 0, denominator: 0 }
  for (const [k, s] of all.entries()) {
    const e = perSeries[k]!
    if (e.count === 0) continue
    const sse = e.rmse ** 2 * e.count
    const sae = e.mae * e.count
    se += sse
    ae += sae
    count += e.count
    if (Number.isFinite(s.maseScale)) {
      mase.errors += sae
      mase.denominator += e.count * s.maseScale
    }
    if (Number.isFinite(s.rmsseScale)) {
      rmsse.errors += sse
      rmsse.denominator += e.count * s.rmsseScale
    }
  }
  const ratio = (part: { errors: number; denominator: number }) => (part.denominator === 0 && part.errors === 0 ? Number.NaN : part.errors / part.denominator)
  return {
    series: perSeries,
    macro: {
      rmse: mean((e) => e.rmse),
      mae: mean((e) => e.mae),
      mase: mean((e) => e.mase),
      rmsse: mean((e) => e.rmsse),
      count
    },
    micro: {
      rmse: count === 0 ? Number.NaN : Math.sqrt(se / count),
      mae: count === 0 ? Number.NaN : ae / count,
      mase: ratio(mase),
      rmsse: Math.sqrt(ratio(rmsse)),
      count
    }
  }
}
