import { Effect, Schema } from "effect"
import type { TrainConfig } from "../config/TrainConfig.js"
import { type Dataset, type Split, seriesRow, unscaleWindows } from "../data/Dataset.js"
import { predictSplit } from "../data/predictSplit.js"
import { Averages, type Breakdown, breakdown, type SeriesScale, SeriesReport, Skill, StepReport } from "./breakdown.js"
import { ForecastMetrics, forecastMetrics, MetricNumber, skill } from "./metrics.js"
import { maseScale, rmsseScale } from "./scaled.js"

/**
 * One split's scores: the model, both naive baselines and the skill against each, over every
 * forecast; then per series, their macro and micro averages and, with horizon > 1, per step.
 */
export const SplitReport = Schema.Struct({
  model: ForecastMetrics,
  baselines: Schema.Struct({ last_value: ForecastMetrics, seasonal_naive: ForecastMetrics }),
  /** 1 − RMSE_model / RMSE_baseline: the share of the baseline's error the model removes. */
  skill: Skill,
  /** Scale-free errors (M4 MASE with the eval season, M5 RMSSE), each forecast scaled on its series' train rows (the micro average). */
  scale_free: Schema.Struct({
    model: Schema.Struct({ mase: MetricNumber, rmsse: MetricNumber }),
    last_value: Schema.Struct({ mase: MetricNumber, rmsse: MetricNumber }),
    seasonal_naive: Schema.Struct({ mase: MetricNumber, rmsse: MetricNumber })
  }),
  // the rest is absent from eval.json files written before per-series evaluation
  /** Per series with windows in the split, in series order. */
  series: Schema.optional(Schema.Array(SeriesReport)),
  /** Mean over series of each series' metric (every series counts the same). */
  macro: Schema.optional(Averages),
  /** Pooled over every forecast, each scaled by its own series. */
  micro: Schema.optional(Averages),
  /** Per horizon step (1 … horizon), only when the horizon is longer than 1. */
  steps: Schema.optional(Schema.Array(StepReport))
})

/** Evaluate's output (eval.json): per split the metrics in original units, baselines and skill, overall, per series, macro / micro and per horizon step. */
export const EvalReport = Schema.Struct({
  season: Schema.Number,
  horizon: Schema.Number,
  splits: Schema.Struct({ val: Schema.optional(SplitReport), test: Schema.optional(SplitReport) })
})
export type EvalReport = typeof EvalReport.Type
export type SplitReport = typeof SplitReport.Type

/** One row of the first-step test forecasts, written to `predictions/test.csv`. */
export const PredictionRow = Schema.Struct({
  series: Schema.String,
  time: Schema.String,
  actual: MetricNumber,
  predicted: MetricNumber,
  seasonal_naive: MetricNumber,
  last_value: MetricNumber
})
export type PredictionRow = typeof PredictionRow.Type

/** Evaluate's output with the test forecasts for plots. */
export interface Evaluation {
  readonly report: EvalReport
  readonly testPredictions: ReadonlyArray<PredictionRow>
}

/** What Evaluate needs: the config, the dataset and a way to run the trained model. */
export interface EvaluateInput<E> {
  readonly config: TrainConfig
  readonly dataset: Dataset
  /** Model outputs (scaled) for `n` windows of `x`: [n, horizon]. */
  readonly predict: (x: Float32Array, n: number) => Effect.Effect<Float32Array, E>
}

interface SplitForecasts {
  readonly actual: Float64Array
  readonly predicted: Float64Array
  readonly lastValue: Float64Array
  readonly seasonal: Float64Array
  readonly previous: Float64Array
}

/** Forecasts of the model and both naive baselines for every (window, horizon step), in original units. */
export const splitForecasts = (dataset: Dataset, split: Split, scaledPredictions: Float32Array, season: number): SplitForecasts => {
  const horizon = dataset.manifest.horizon
  const target = dataset.series.target
  const predicted = unscaleWindows(dataset.manifest, split, scaledPredictions)
  const size = split.n * horizon
  const actual = new Float64Array(size)
  const lastValue = new Float64Array(size)
  const seasonal = new Float64Array(size)
  const previous = new Float64Array(size)
  for (let i = 0; i < split.n; i++) {
    // the row of the window's first target step in the concatenated series; baselines never look before its series
    const start = seriesRow(dataset, split.series[i]!, split.start[i]!)
    const first = dataset.series.offsets[split.series[i]!]!
    const last = target[start - 1]!
    for (let h = 0; h < horizon; h++) {
      const k = i * horizon + h
      actual[k] = target[start + h]!
      lastValue[k] = last
      previous[k] = last
      // seasonal naive: the value one (or more) whole seasons before, always from observed history
      const back = start + h - season * (Math.floor(h / season) + 1)
      seasonal[k] = back >= first ? target[back]! : last
    }
  }
  return { actual, predicted, lastValue, seasonal, previous }
}

const reportFor = (f: SplitForecasts, parts: Breakdown): SplitReport => {
  const model = forecastMetrics(f.actual, f.predicted, f.previous)
  const lastValue = forecastMetrics(f.actual, f.lastValue, f.previous)
  const seasonal = forecastMetrics(f.actual, f.seasonal, f.previous)
  const scaled = (m: { readonly mase: number; readonly rmsse: number }) => ({ mase: m.mase, rmsse: m.rmsse })
  return {
    model,
    baselines: { last_value: lastValue, seasonal_naive: seasonal },
    skill: { vs_last_value: skill(model, lastValue), vs_seasonal_naive: skill(model, seasonal) },
    scale_free: {
      model: scaled(parts.micro.model),
      last_value: scaled(parts.micro.baselines.last_value),
      seasonal_naive: scaled(parts.micro.baselines.seasonal_naive)
    },
    series: parts.series,
    macro: parts.macro,
    micro: parts.micro,
    ...(parts.steps.length > 0 ? { steps: parts.steps } : {})
  }
}

/** MASE and RMSSE denominators of every series, from its own train rows. */
export const seriesScales = (dataset: Dataset, season: number): Array<SeriesScale> =>
  dataset.manifest.series.map((entry, s) => {
    const first = dataset.series.offsets[s]!
    const train = dataset.series.target.subarray(first, first + entry.rows.train)
    return { mase: maseScale(train, season), rmsse: rmsseScale(train) }
  })

/** Run the model over val and test and score it, and the naive baselines, in original units, overall and per series. */
export const evaluate = <E>(input: EvaluateInput<E>) =>
  Effect.gen(function*() {
    const { config, dataset } = input
    const season = config.eval.season
    const horizon = dataset.manifest.horizon
    const splits: { val?: SplitReport; test?: SplitReport } = {}
    let testPredictions: Array<PredictionRow> = []
    const scales = seriesScales(dataset, season)
    for (const name of config.eval.splits) {
      const split = dataset.splits[name]
      if (split.n === 0) continue
      const predicted = yield* predictSplit(
        split,
        dataset.manifest.lookback,
        dataset.manifest.features.length,
        horizon,
        input.predict
      )
      const forecasts = splitForecasts(dataset, split, predicted, season)
      splits[name] = reportFor(forecasts, breakdown(forecasts, split.series, horizon, dataset.series.ids, scales))
      if (name === "test") {
        testPredictions = Array.from({ length: split.n }, (_, i) => ({
          series: dataset.series.ids[split.series[i]!] ?? String(split.series[i]),
          time: dataset.series.time[seriesRow(dataset, split.series[i]!, split.start[i]!)] ?? String(split.start[i]),
          actual: forecasts.actual[i * horizon]!,
          predicted: forecasts.predicted[i * horizon]!,
          seasonal_naive: forecasts.seasonal[i * horizon]!,
          last_value: forecasts.lastValue[i * horizon]!
        }))
      }
    }
    return { report: { season, horizon, splits }, testPredictions } satisfies Evaluation
  }).pipe(Effect.withSpan("Evaluate.run"))
