import type { FileSystem, Path } from "@effect/platform"
import { Context, Effect, Layer, Option } from "effect"
import { consoleSpec } from "./Console.js"
import { type FanOutOptions, layerFromSpecs } from "./FanOut.js"
import { jsonlSpec } from "./Jsonl.js"
import { makeMemory, type MemoryTracker } from "./Memory.js"
import { type MlflowOptions, mlflowSpec } from "./Mlflow.js"
import type { SinkSpec } from "./Sink.js"
import { type TensorBoardOptions, tensorBoardSpec } from "./TensorBoard.js"
import type { RunInfo, Tracker } from "./Tracker.js"
import { type WandbOptions, wandbSpec } from "./Wandb.js"

/** The tracker backends a config can name. */
export const trackerNames = ["console", "jsonl", "tensorboard", "mlflow", "wandb", "memory"] as const

/** One tracker backend. */
export type TrackerName = (typeof trackerNames)[number]

/** Options of every backend, plus the fan-out's. */
export interface TrackingOptions extends FanOutOptions {
  readonly tensorboard?: TensorBoardOptions
  readonly mlflow?: MlflowOptions
  readonly wandb?: WandbOptions
  /** Where the `memory` backend records (tests); a fresh one otherwise. */
  readonly memory?: MemoryTracker
}

const specOf = (
  name: TrackerName,
  info: RunInfo,
  options: TrackingOptions
): Effect.Effect<ReadonlyArray<SinkSpec>, never, FileSystem.FileSystem | Path.Path> => {
  switch (name) {
    case "console":
      return Effect.succeed([consoleSpec(info)])
    case "jsonl":
      return Effect.map(jsonlSpec(info), (spec) => [spec])
    case "tensorboard":
      return Effect.map(tensorBoardSpec(info, options.tensorboard), (spec) => [spec])
    case "mlflow":
      return Effect.map(mlflowSpec(info, options.mlflow), (spec) => [spec])
    case "wandb":
      return Effect.map(wandbSpec(info, options.wandb), Option.toArray)
    case "memory":
      return Effect.succeed([(options.memory ?? makeMemory()).spec])
  }
}

/**
 * One Tracker over the named backends (duplicates ignored). Remote ones (mlflow, wandb) run behind
 * bounded queues on their own fibers; `failures` summarises each backend; closing the scope
 * finalizes every backend with the run's status.
 */
export const layerFromNames = (
  names: ReadonlyArray<TrackerName>,
  info: RunInfo,
  options: TrackingOptions = {}
): Layer.Layer<Tracker, never, FileSystem.FileSystem | Path.Path> =>
  Layer.unwrapEffect(
    Effect.map(
      Effect.forEach([...new Set(names)], (name) => specOf(name, info, options)),
      (specs) => layerFromSpecs(specs.flat(), options)
    )
  )

/** Builds a run's Tracker layer from the config's backend names; tests swap it to add an in-memory backend. */
export class TrackerLayer extends Context.Reference<TrackerLayer>()("lstm-pipeline/TrackerLayer", {
  defaultValue: (): typeof layerFromNames => layerFromNames
}) {}
