import { Context, Effect, Option } from "effect"
import * as CheckpointStore from "../checkpoint/CheckpointStore.js"
import type { CheckpointStoreService } from "../checkpoint/CheckpointStore.js"
import type { TrainConfig } from "../config/TrainConfig.js"
import { RunFiles } from "../rundir/files.js"
import type { RunDirectoryService } from "../rundir/RunDirectory.js"
import { RunDirError } from "../rundir/RunDirError.js"
import { guardDifferences, ResumeMismatch, resumeGuard, type ResumePoint, resumePoint } from "./guard.js"

/** The run being trained: its directory, its checkpoint store (opened once) and where it continues from. */
export interface ActiveRunService {
  readonly dir: RunDirectoryService
  readonly checkpoints: CheckpointStoreService
  /** A verified checkpoint to continue from; null for a fresh start. */
  readonly resume: ResumePoint | null
}

/** The active run, or None for commands that write no run directory (`pipeline stage evaluate`). */
export class ActiveRun extends Context.Tag("lstm-pipeline/ActiveRun")<ActiveRun, Option.Option<ActiveRunService>>() {}

/** The active run; a RunDirError (exit 2) for a command that has none, such as `pipeline stage evaluate`. */
export const requireActiveRun = Effect.flatMap(ActiveRun, (run) =>
  Option.match(run, {
    onSome: Effect.succeed,
    onNone: () =>
      Effect.fail(
        new RunDirError({
          path: "",
          message: "this command writes no run directory, but a stage it runs needs one.",
          fix: "use `pipeline run`, or `pipeline stage train|persist`"
        })
      )
  }))

/** Open the checkpoint store of a run directory with the config's retention. */
export const openCheckpoints = (config: TrainConfig, dir: RunDirectoryService) =>
  CheckpointStore.make({
    dir: dir.path(RunFiles.checkpoints),
    keepLast: config.checkpoint.keep_last,
    keepEveryEpochs: config.checkpoint.keep_every
  })

/**
 * Find and check the checkpoint `--resume <ref>` continues from, before anything in the run
 * directory changes: it must exist, verify and match the config (engine and thread count are
 * checked again once the engine is built). Then metrics lines past it are dropped, so the
 * continued run logs every step once. Null when there is nothing to resume: no `--resume`, or a
 * `last` resume of a run killed before its first checkpoint (it starts over in the same directory).
 */
export const prepareResume = Effect.fn("Resume.prepare")(function*(
  config: TrainConfig,
  dataFingerprint: string,
  store: CheckpointStoreService,
  dir: RunDirectoryService
) {
  const ref = config.checkpoint.resume
  if (ref === null) return null
  const point = yield* resumePoint(store, ref)
  const state = point?.meta.train_state
  if (point !== null) {
    const guard = resumeGuard(config, dataFingerprint, "", 0)
    const differences = guardDifferences(point.meta.guard, guard, config.checkpoint.allow_config_change, ["engine", "threads"])
    if (differences.length > 0) return yield* new ResumeMismatch({ checkpoint: point.loaded.path, differences })
  }
  // batch lines are numbered by global step, epoch lines by the epoch they closed
  yield* dir.trimMetrics({ batch: state?.step ?? 0, epoch: state === undefined ? 0 : state.epoch - 1, final: -1 })
  return point
})

/** A checkpoint's weights (`--validate-only`): the path it was loaded from and its tensors. */
export const checkpointWeights = (store: CheckpointStoreService, ref: string) =>
  Effect.gen(function*() {
    const loaded = yield* store.load((yield* store.resolve(ref)).path)
    return { path: loaded.path, weights: loaded.weights }
  })
