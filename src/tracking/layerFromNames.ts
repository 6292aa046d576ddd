import { FileSystem, Path } from "@effect/platform"
import { Config, Context, Effect, Layer, Option } from "effect"
import { consoleSpec } from "./Console.js"
import { type FanOutOptions, layerFromSpecs } from "./FanOut.js"
import { jsonlSpec } from "./Jsonl.js"
import { makeMemory, type MemoryTracker } from "./Memory.js"
import { type MlflowOptions, mlflowSpec } from "./Mlflow.js"
import { fileStoreRoot, mlflowFileStoreSpec } from "./MlflowFileStore.js"
import type { SinkSpec } from "./Sink.js"
import { memorySpool, openSpool } from "./Spool.js"
import { type TensorBoardOptions, tensorBoardSpec } from "./TensorBoard.js"
import { type RunInfo, Tracker } from "./Tracker.js"
import { withSystemMetrics } from "./systemMetrics.js"
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
  /** Add the process's RSS and CPU % to epoch metrics (default: true for a run with a directory). */
  readonly systemMetrics?: boolean
  /** Bound of each remote backend's spool under the run directory. Default 64 MiB. */
  readonly spoolMaxBytes?: number
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
      return Effect.gen(function*() {
        const env = yield* Config.option(Config.string("MLFLOW_TRACKING_URI")).pipe(Effect.orElseSucceed(Option.none))
        const root = fileStoreRoot(options.mlflow?.uri ?? Option.getOrElse(env, () => "http:"))
        // `file:./mlruns` or a path: MLflow's own file layout, no server needed
        return [root === undefined ? yield* mlflowSpec(info, options.mlflow) : yield* mlflowFileStoreSpec(info, root)]
      })
    case "wandb":
      return Effect.map(wandbSpec(info, options.wandb), Option.toArray)
    case "memory":
      return Effect.succeed([(options.memory ?? makeMemory()).spec])
  }
}

/**
 * One Tracker over the named backends (duplicates ignored). A run with a directory always writes
 * its own `metrics.jsonl` whatever the config names: plots, the report and `runs ls` read it.
 * Remote ones (mlflow, wandb) run behind bounded queues on their own fibers, each with a spool
 * under `<runDir>/tracking/spool/`; `failures` summarises each backend; closing the scope
 * finalizes every backend with the run's status. Epoch metrics get `system/rss_mb` and
 * `system/cpu_percent`.
 */
export const layerFromNames = (
  names: ReadonlyArray<TrackerName>,
  info: RunInfo,
  options: TrackingOptions = {}
): Layer.Layer<Tracker, never, FileSystem.FileSystem | Path.Path> =>
  Layer.unwrapEffect(
    Effect.gen(function*() {
      const context = yield* Effect.context<FileSystem.FileSystem | Path.Path>()
      const wanted = info.runDir === "" ? names : ["jsonl" as const, ...names]
      const specs = yield* Effect.forEach([...new Set(wanted)], (name) => specOf(name, info, options))
      const maxBytes = options.spoolMaxBytes ?? 64 * 1024 * 1024
      const spoolFor = options.spoolFor ?? ((backend: string) =>
        info.runDir === ""
          ? Effect.succeed(memorySpool(backend, 100_000))
          : openSpool(info.runDir, backend, maxBytes).pipe(
            Effect.orElseSucceed(() => memorySpool(backend, 100_000)),
            Effect.provide(context)
          ))
      const layer = layerFromSpecs(specs.flat(), { ...options, spoolFor })
      // a run's epochs carry its memory and CPU use, as Lightning's DeviceStatsMonitor logs them
      return info.runDir === "" || options.systemMetrics === false ? layer : Layer.map(layer, (ctx) => Context.add(ctx, Tracker, withSystemMetrics(Context.get(ctx, Tracker))))
    })
  )

/** Builds a run's Tracker layer from the config's backend names; tests swap it to add an in-memory backend. */
export class TrackerLayer extends Context.Reference<TrackerLayer>()("lstm-pipeline/TrackerLayer", {
  defaultValue: (): typeof layerFromNames => layerFromNames
}) {}
