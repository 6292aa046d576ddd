import { Context, type Effect } from "effect"
import type { ModelSpec } from "../model/spec.js"

/** Scalar metrics keyed by tag, e.g. `{ "train/loss": 0.12, "val/loss": 0.2, "lr": 1e-3 }`. */
export type Metrics = Readonly<Record<string, number>>

/** Hyperparameters and other flat run parameters. */
export type Params = Readonly<Record<string, string | number | boolean>>

/** Run tags: facts about the run that may change later (unlike params), e.g. `lstm_pipeline.train_cached`. */
export type Tags = Readonly<Record<string, string>>

/** How a run ended; trackers finalize with it (from the Scope's Exit). */
export type RunStatus = "success" | "failed" | "interrupted"

/** What every tracker backend knows about the run it records. */
export interface RunInfo {
  readonly experiment: string
  readonly runName: string
  /** `runs/<experiment>/<run>/`: backends write their files under it. */
  readonly runDir: string
  /** Flat hyperparameters (`model.units`, `train.learning_rate`, ...). */
  readonly params: Params
  /** The resolved config as YAML text. */
  readonly configText: string
  readonly tags: ReadonlyArray<string>
  /** True when continuing from a checkpoint: backends append and continue at the given steps. */
  readonly resumed: boolean
}

/**
 * Where metrics go. Methods never fail: a backend that cannot write records the failure and
 * reports it in `failures` at the end; training is never stopped or slowed by a tracker.
 * `step` is the global batch step for `batch` metrics and the epoch number for `epoch` metrics.
 */
export interface TrackerService {
  readonly logParams: (params: Params) => Effect.Effect<void>
  /** The model's graph, once its shape is known (TensorBoard's Graphs tab). */
  readonly logGraph: (spec: ModelSpec) => Effect.Effect<void>
  /** Set (or overwrite) run tags; backends without tags ignore them. */
  readonly setTags: (tags: Tags) => Effect.Effect<void>
  readonly logMetrics: (metrics: Metrics, step: number, kind: "batch" | "epoch" | "final") => Effect.Effect<void>
  readonly logHistograms: (values: Readonly<Record<string, Float32Array>>, step: number) => Effect.Effect<void>
  readonly logText: (tag: string, text: string, step: number) => Effect.Effect<void>
  /** Flush pending writes (e.g. before a checkpoint). */
  readonly flush: Effect.Effect<void>
  /** Human-readable failures of backends so far, summarised at the end of the run. */
  readonly failures: Effect.Effect<ReadonlyArray<string>>
}

/** The run's tracker: a fan-out over the configured backends, each a Layer. */
export class Tracker extends Context.Tag("lstm-pipeline/Tracker")<Tracker, TrackerService>() {}
