import { ParseResult, Schema } from "effect"
import { DatasetManifest } from "../data/Dataset.js"
import { PredictionRow } from "../evaluate/evaluate.js"

/** Every file of a run directory, by its path relative to the run directory. */
export const RunFiles = {
  config: "config.yaml",
  summary: "summary.json",
  metrics: "metrics.jsonl",
  eval: "eval.json",
  predictions: "predictions/test.csv",
  model: "model",
  modelJson: "model/model.json",
  modelWeights: "model/weights.bin",
  preprocessing: "model/preprocessing.json",
  checkpoints: "checkpoints",
  validation: "validation",
  tensorboard: "tensorboard",
  tracking: "tracking",
  plots: "plots",
  lossPlot: "plots/loss.png",
  forecastPlot: "plots/forecast.png",
  seriesPlot: "plots/series.png",
  seriesErrorPlot: "plots/series_mase.png",
  horizonPlot: "plots/horizon.png",
  report: "report.html"
} as const

/** How a run ended. */
export const RunStatus = Schema.Literal("success", "failed", "interrupted")
export type RunStatus = typeof RunStatus.Type

/** Scores of one evaluated set: mse, rmse, mae, mape, smape, r2, directional_accuracy, count, mase, rmsse (null when undefined). */
export const MetricSet = Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.Number) })

/** `metrics` of summary.json: model metrics per split, baselines and skill beside them. */
export const SummaryMetrics = Schema.Struct({
  season: Schema.Number,
  horizon: Schema.Number,
  /** Number of series evaluated, when more than one (their metrics add `macro_*` keys per split). */
  series: Schema.optional(Schema.Number),
  val: Schema.optional(MetricSet),
  test: Schema.optional(MetricSet),
  baselines: Schema.Record({ key: Schema.String, value: Schema.Record({ key: Schema.String, value: MetricSet }) }),
  skill: Schema.Record({ key: Schema.String, value: MetricSet })
})
export type SummaryMetrics = typeof SummaryMetrics.Type

/** A flat hyperparameter value. */
export const HParam = Schema.Union(Schema.String, Schema.Number, Schema.Boolean)

/** `summary.json`: what a run did and how well, readable without the rest of the directory. */
export const RunSummary = Schema.Struct({
  experiment: Schema.String,
  run: Schema.String,
  run_dir: Schema.String,
  /** The config file the run was started from (absolute), for re-reading its data source. */
  config_file: Schema.String,
  status: RunStatus,
  started_at: Schema.String,
  finished_at: Schema.String,
  duration_s: Schema.Number,
  best_epoch: Schema.NullOr(Schema.Number),
  epochs_completed: Schema.Number,
  stopped_early: Schema.Boolean,
  device: Schema.String,
  engine: Schema.NullOr(Schema.String),
  threads: Schema.NullOr(Schema.Number),
  train_seconds: Schema.NullOr(Schema.Number),
  samples_per_s: Schema.NullOr(Schema.Number),
  peak_rss_mb: Schema.Number,
  weights_sha256: Schema.NullOr(Schema.String),
  trained_in: Schema.NullOr(Schema.String),
  resumed_from: Schema.NullOr(Schema.String),
  data: Schema.NullOr(Schema.Struct({
    source: Schema.String,
    fingerprint: Schema.String,
    windows: Schema.Struct({ train: Schema.Number, val: Schema.Number, test: Schema.Number })
  })),
  /** Null when the run did not get as far as evaluating (failed or interrupted). */
  metrics: Schema.NullOr(SummaryMetrics),
  hparams: Schema.Record({ key: Schema.String, value: HParam }),
  stages: Schema.Record({
    key: Schema.String,
    value: Schema.Struct({ cached: Schema.Boolean, seconds: Schema.Number, key: Schema.String })
  }),
  versions: Schema.Record({ key: Schema.String, value: Schema.String }),
  /** Per tracker backend: points delivered, spooled (sent on resume or `runs sync`) and dropped. */
  tracking: Schema.optional(
    Schema.Record({
      key: Schema.String,
      value: Schema.Struct({ delivered: Schema.Number, spooled: Schema.Number, dropped: Schema.Number })
    })
  )
})
export type RunSummary = typeof RunSummary.Type

/** The kinds of metrics.jsonl lines: per optimizer step, per epoch, and the final evaluation. */
export const MetricKind = Schema.Literal("batch", "epoch", "final")
export type MetricKind = typeof MetricKind.Type

/** A metrics.jsonl line as read: its kind, step, wall time (ms) and metric values. */
export const MetricPoint = Schema.Struct({
  kind: MetricKind,
  step: Schema.Number,
  /** Wall-clock time (ms since the epoch) it was logged; null in lines written without one. */
  time: Schema.NullOr(Schema.Number),
  values: Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.Number) })
})

const FlatLine = Schema.Record({ key: Schema.String, value: Schema.Union(Schema.String, Schema.Number, Schema.Null) })

/**
 * One line of `metrics.jsonl`: a flat JSON object `{kind, step, time, ...metrics}`. JSON has no
 * NaN or Infinity: such values are written as null, which readers treat as missing.
 */
export const MetricLine = Schema.transformOrFail(FlatLine, MetricPoint, {
  strict: true,
  decode: (flat, _, ast) => {
    const { kind, step, time, ...rest } = flat
    const values: Record<string, number | null> = {}
    for (const [key, value] of Object.entries(rest)) if (typeof value === "number" || value === null) values[key] = value
    return kind === "batch" || kind === "epoch" || kind === "final"
      ? typeof step === "number"
        ? ParseResult.succeed({ kind, step, time: typeof time === "number" ? time : null, values })
        : ParseResult.fail(new ParseResult.Type(ast, flat, "step must be a number"))
      : ParseResult.fail(new ParseResult.Type(ast, flat, "kind must be batch, epoch or final"))
  },
  encode: ({ kind, step, time, values }) => ParseResult.succeed({ ...values, kind, step, ...(time === null ? {} : { time }) })
})
export type MetricLine = typeof MetricLine.Type

/** `model/preprocessing.json`: what `pipeline predict` needs besides the network. */
export const Preprocessing = Schema.Struct({
  manifest: DatasetManifest,
  weights_sha256: Schema.String,
  engine: Schema.String
})
export type Preprocessing = typeof Preprocessing.Type

/** The columns of `predictions/test.csv`, in order. */
export const predictionColumns = ["series", "time", "actual", "predicted", "seasonal_naive", "last_value"] as const

/** The columns a `predictions/test.csv` must have: `series` is absent from files written before many-series runs. */
export const requiredPredictionColumns = predictionColumns.filter((c) => c !== "series")

/**
 * `predictions/test.csv`: the first-step test forecast of every test window, per series in
 * series order, in original units (empty cells for undefined values).
 */
export const PredictionsCsv = Schema.Array(PredictionRow)

/** Flatten nested values to dotted keys: `{a: {b: 1}}` → `{"a.b": 1}`. */
export const flatten = (value: unknown, prefix = ""): Record<string, string | number | boolean | null> => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const leaf = Array.isArray(value) ? JSON.stringify(value) : value
    return typeof leaf === "string" || typeof leaf === "number" || typeof leaf === "boolean" || leaf === null
      ? { [prefix]: leaf }
      : { [prefix]: String(leaf) }
  }
  const out: Record<string, string | number | boolean | null> = {}
  for (const [k, v] of Object.entries(value)) Object.assign(out, flatten(v, prefix === "" ? k : `${prefix}.${k}`))
  return out
}

/** The fields of summary.json one stage's output fills in. */
export type SummaryPart = Partial<RunSummary>
