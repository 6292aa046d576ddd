import { Schema } from "effect"
import { forecastMetrics, MetricNumber, skill } from "./metrics.js"
import { panelErrors, type PanelErrors, type ScaledErrors, type SeriesForecasts } from "./scaled.js"

/** An average over series of RMSE, MAE (original units), MASE and RMSSE (scaled per series), and the forecasts it covers. */
export const AverageMetrics = Schema.Struct({ rmse: MetricNumber, mae: MetricNumber, mase: MetricNumber, rmsse: MetricNumber, count: Schema.Number })

/** One forecaster on one series or one horizon step: errors in original units, MASE and RMSSE scaled by each series' train rows. */
export const PointMetrics = Schema.Struct({
  rmse: MetricNumber,
  mae: MetricNumber,
  /** In percent (targets equal to 0 are skipped). */
  mape: MetricNumber,
  /** In percent (0–200). */
  smape: MetricNumber,
  mase: MetricNumber,
  rmsse: MetricNumber
})
export type PointMetrics = typeof PointMetrics.Type

/** 1 − RMSE_model / RMSE_baseline against each naive baseline. */
export const Skill = Schema.Struct({ vs_last_value: MetricNumber, vs_seasonal_naive: MetricNumber })

const byForecaster = <S extends Schema.Schema.Any>(metrics: S) => ({ model: metrics, baselines: Schema.Struct({ last_value: metrics, seasonal_naive: metrics }) })

/** Macro (mean over series) or micro (pooled over forecasts) averages of the model and both baselines. */
export const Averages = Schema.Struct(byForecaster(AverageMetrics))
export type Averages = typeof Averages.Type

/** One series' scores over every window and horizon step of a split; `count` is its forecasts (windows × horizon). */
export const SeriesReport = Schema.Struct({ id: Schema.String, count: Schema.Number, ...byForecaster(PointMetrics), skill: Skill })
export type SeriesReport = typeof SeriesReport.Type

/** The scores of one horizon step (1 = the first forecast step) over every window (`count`): pooled, and macro over series. */
export const StepReport = Schema.Struct({ step: Schema.Number, count: Schema.Number, ...byForecaster(PointMetrics), skill: Skill, macro: Averages })
export type StepReport = typeof StepReport.Type

/** Forecasts of a split, window-major [windows, horizon], in original units. */
export interface WindowForecasts {
  readonly actual: ArrayLike<number>
  readonly predicted: ArrayLike<number>
  readonly lastValue: ArrayLike<number>
  readonly seasonal: ArrayLike<number>
  /** The last observed value before each forecast (for directional accuracy). */
  readonly previous: ArrayLike<number>
}

/** The in-sample scales of one series' train rows (`maseScale`, `rmsseScale`). */
export interface SeriesScale {
  readonly mase: number
  readonly rmsse: number
}

/** A split's forecasts broken down by series and by horizon step. */
export interface Breakdown {
  /** The series that have windows in the split, in series order. */
  readonly series: ReadonlyArray<SeriesReport>
  readonly macro: Averages
  readonly micro: Averages
  /** One entry per horizon step when the horizon is longer than 1, else empty. */
  readonly steps: ReadonlyArray<StepReport>
}

interface PerForecaster<A> {
  readonly model: A
  readonly last_value: A
  readonly seasonal_naive: A
}

/** `score` applied to the model's forecasts and to each baseline's. */
const perForecaster = <A>(f: WindowForecasts, score: (values: ArrayLike<number>, name: keyof PerForecaster<A>) => A): PerForecaster<A> => ({
  model: score(f.predicted, "model"),
  last_value: score(f.lastValue, "last_value"),
  seasonal_naive: score(f.seasonal, "seasonal_naive")
})

/** The split-report shape of per-forecaster scores: the model, its baselines and its skill against them. */
const scored = (m: PerForecaster<PointMetrics>) => ({
  model: m.model,
  baselines: { last_value: m.last_value, seasonal_naive: m.seasonal_naive },
  skill: { vs_last_value: skill(m.model, m.last_value), vs_seasonal_naive: skill(m.model, m.seasonal_naive) }
})

/** Values at `windows` × steps (every step, or only `step`), window-major. */
const gather = (values: ArrayLike<number>, windows: ReadonlyArray<number>, horizon: number, step: number | undefined): Float64Array => {
  const steps = step === undefined ? horizon : 1
  const out = new Float64Array(windows.length * steps)
  for (const [k, w] of windows.entries()) {
    for (let h = 0; h < steps; h++) out[k * steps + h] = values[w * horizon + (step ?? h)]!
  }
  return out
}

const pointMetrics = (actual: ArrayLike<number>, predicted: ArrayLike<number>, previous: ArrayLike<number>, scaled: ScaledErrors): PointMetrics => {
  const m = forecastMetrics(actual, predicted, previous)
  return { rmse: m.rmse, mae: m.mae, mape: m.mape, smape: m.smape, mase: scaled.mase, rmsse: scaled.rmsse }
}

const averages = (panels: PerForecaster<PanelErrors>, kind: "macro" | "micro"): Averages => ({
  model: panels.model[kind],
  baselines: { last_value: panels.last_value[kind], seasonal_naive: panels.seasonal_naive[kind] }
})

/**
 * Per-series scores (each series' MASE/RMSSE scaled by its own train rows), their macro and
 * micro averages, and per horizon step the pooled scores and the macro average over series.
 * `windowSeries[i]` is window i's series; series without windows in the split are left out.
 */
export const breakdown = (
  f: WindowForecasts,
  windowSeries: ArrayLike<number>,
  horizon: number,
  ids: ReadonlyArray<string>,
  scales: ReadonlyArray<SeriesScale>
): Breakdown => {
  const windowsOf: Array<Array<number>> = ids.map(() => [])
  for (let i = 0; i < windowSeries.length; i++) windowsOf[windowSeries[i]!]!.push(i)
  const present = ids.flatMap((_, s) => (windowsOf[s]!.length > 0 ? [s] : []))

  // every forecaster's per-series errors at one step (or all), and their macro / micro averages
  const panelsAt = (step: number | undefined) => {
    const actual = present.map((s) => gather(f.actual, windowsOf[s]!, horizon, step))
    return perForecaster(f, (values) =>
      panelErrors(present.map((s, k): SeriesForecasts => ({
        id: ids[s]!,
        actual: actual[k]!,
        predicted: gather(values, windowsOf[s]!, horizon, step),
        maseScale: scales[s]!.mase,
        rmsseScale: scales[s]!.rmsse
      }))))
  }

  const all = panelsAt(undefined)
  const series = present.map((s, k): SeriesReport => {
    const windows = windowsOf[s]!
    const actual = gather(f.actual, windows, horizon, undefined)
    const previous = gather(f.previous, windows, horizon, undefined)
    const metrics = perForecaster(f, (values, name) => pointMetrics(actual, gather(values, windows, horizon, undefined), previous, all[name].series[k]!))
    return { id: ids[s]!, count: actual.length, ...scored(metrics) }
  })

  const everyWindow = Array.from({ length: windowSeries.length }, (_, i) => i)
  const steps = horizon === 1 ? [] : Array.from({ length: horizon }, (_, h): StepReport => {
    const panels = panelsAt(h)
    const actual = gather(f.actual, everyWindow, horizon, h)
    const previous = gather(f.previous, everyWindow, horizon, h)
    const metrics = perForecaster(f, (values, name) => pointMetrics(actual, gather(values, everyWindow, horizon, h), previous, panels[name].micro))
    return { step: h + 1, count: actual.length, ...scored(metrics), macro: averages(panels, "macro") }
  })
  return { series, macro: averages(all, "macro"), micro: averages(all, "micro"), steps }
}
