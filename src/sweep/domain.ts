import { Schema } from "effect"

/** A value a swept config path can take. */
export const ParamValue = Schema.Union(Schema.Number, Schema.String, Schema.Boolean)
export type ParamValue = typeof ParamValue.Type

/** `parameters.<path>: {values: [...]}` (or a bare list): pick one of these. */
export const ChoiceSpace = Schema.Struct({ values: Schema.NonEmptyArray(ParamValue) })

/** `parameters.<path>: {min, max, log, int}`: a range, sampled by random search and ASHA. */
export const RangeSpace = Schema.Struct({
  min: Schema.Number.pipe(Schema.finite()),
  max: Schema.Number.pipe(Schema.finite()),
  log: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  int: Schema.optionalWith(Schema.Boolean, { default: () => false })
})

/** The values one parameter may take. */
export type ParamSpace =
  | { readonly _tag: "choice"; readonly values: ReadonlyArray<ParamValue> }
  | { readonly _tag: "range"; readonly min: number; readonly max: number; readonly log: boolean; readonly int: boolean }

/** How trials are chosen and stopped. */
export const SearchSection = Schema.Struct({
  kind: Schema.Literal("grid", "random", "asha"),
  /** random, asha: how many trials to sample (asha without it: the grid of the lists). */
  trials: Schema.optional(Schema.Int.pipe(Schema.positive(), Schema.lessThanOrEqualTo(10000))),
  seed: Schema.optionalWith(Schema.Int.pipe(Schema.nonNegative()), { default: () => 0 }),
  /** asha: the per-epoch metric of metrics.jsonl each rung compares (val_loss or train_loss). */
  metric: Schema.optionalWith(Schema.Literal("val_loss", "train_loss"), { default: () => "val_loss" as const }),
  mode: Schema.optionalWith(Schema.Literal("min", "max"), { default: () => "min" as const }),
  grace_period: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { default: () => 1 }),
  reduction_factor: Schema.optionalWith(Schema.Number.pipe(Schema.greaterThan(1)), { default: () => 2 }),
  /** asha: every trial trains at most this many epochs (sets train.epochs). */
  max_epochs: Schema.optional(Schema.Int.pipe(Schema.positive()))
})
export type SearchSection = typeof SearchSection.Type

/** The sweep file: a base train config, the parameters to vary and how to search them. */
export const SweepFile = Schema.Struct({
  base: Schema.String,
  experiment: Schema.optional(Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    message: () => "use letters, digits, '.', '_' and '-' only (it names a directory)"
  }))),
  metric: Schema.optionalWith(Schema.String.pipe(Schema.pattern(/^(val|test)\.[a-z_]+$/, {
    message: () => "a split and a metric of summary.json, e.g. val.rmse or test.mae"
  })), { default: () => "val.rmse" }),
  mode: Schema.optionalWith(Schema.Literal("min", "max"), { default: () => "min" as const }),
  parameters: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  search: Schema.optionalWith(SearchSection, { default: () => ({ kind: "grid" as const, seed: 0, metric: "val_loss" as const, mode: "min" as const, grace_period: 1, reduction_factor: 2 }) }),
  retries: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 20)), { default: () => 1 })
})
export type SweepFile = typeof SweepFile.Type

/** Trial states as Optuna names them. */
export const TrialState = Schema.Literal("waiting", "running", "complete", "pruned", "failed")
export type TrialState = typeof TrialState.Type

/** States a trial does not leave without a new submission. */
export const finished = (state: TrialState): boolean => state === "complete" || state === "pruned" || state === "failed"

/** One trial as the search made it: its id and the config values it sets. */
export const TrialSpec = Schema.Struct({
  id: Schema.String,
  params: Schema.Record({ key: Schema.String, value: ParamValue })
})
export type TrialSpec = typeof TrialSpec.Type

/** What a worker needs to run a trial: the job data on the queue (the same locally). */
export const TrialJob = Schema.Struct({
  sweep: Schema.String,
  trial: TrialSpec,
  /** The base config path, relative to the worker's working directory (the repository root). */
  base: Schema.String,
  experiment: Schema.String,
  outputDir: Schema.String,
  /** `--set path=value` the trial gets besides its parameters (run flags of the sweep, asha's epochs). */
  fixed: Schema.Array(Schema.Struct({ path: Schema.String, value: Schema.String })),
  retries: Schema.Int,
  asha: Schema.NullOr(Schema.Struct({
    metric: Schema.String,
    mode: Schema.Literal("min", "max"),
    rungs: Schema.Array(Schema.Int),
    reduction_factor: Schema.Number
  }))
})
export type TrialJob = typeof TrialJob.Type

/** A trial's record in the store. */
export const TrialRecord = Schema.Struct({
  id: Schema.String,
  params: Schema.Record({ key: Schema.String, value: ParamValue }),
  state: TrialState,
  /** Training processes started for it (1 when it ran once, uninterrupted). */
  attempts: Schema.Int,
  /** Epochs completed, as metrics.jsonl shows them. */
  epochs: Schema.Int,
  /** The sweep's metric from summary.json (null until complete). */
  metric: Schema.NullOr(Schema.Number),
  /** The last per-epoch metric (asha's), e.g. val_loss. */
  last: Schema.NullOr(Schema.Number),
  error: Schema.NullOr(Schema.String),
  worker: Schema.NullOr(Schema.String),
  run_dir: Schema.NullOr(Schema.String),
  resumed: Schema.Boolean,
  updated_at: Schema.String
})
export type TrialRecord = typeof TrialRecord.Type

/** One rung record: a trial's metric at a rung epoch. */
export const RungRecord = Schema.Struct({ rung: Schema.Int, trial: Schema.String, value: Schema.Number })
export type RungRecord = typeof RungRecord.Type

/** The fields a trial update may change. */
export type TrialPatch = Partial<Omit<TrialRecord, "id" | "params">>

/** A fresh waiting record for a trial. */
export const waitingRecord = (trial: TrialSpec): TrialRecord => ({
  id: trial.id,
  params: trial.params,
  state: "waiting",
  attempts: 0,
  epochs: 0,
  metric: null,
  last: null,
  error: null,
  worker: null,
  run_dir: null,
  resumed: false,
  updated_at: new Date().toISOString()
})

/** The trial store could not be read or written (Redis down for good, a torn file). */
export class SweepStoreError extends Schema.TaggedError<SweepStoreError>()("SweepStoreError", {
  message: Schema.String,
  fix: Schema.String
}) {}

/** A trial process could not be started or followed. */
export class TrialError extends Schema.TaggedError<TrialError>()("TrialError", {
  trial: Schema.String,
  message: Schema.String
}) {}

/** The queue could not be reached or used. */
export class QueueError extends Schema.TaggedError<QueueError>()("QueueError", {
  message: Schema.String,
  fix: Schema.String
}) {}
