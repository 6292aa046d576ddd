import { Path } from "@effect/platform"
import { Effect } from "effect"
import * as CheckpointStore from "../checkpoint/CheckpointStore.js"
import type { TrainConfig } from "../config/TrainConfig.js"
import type { Dataset } from "../data/Dataset.js"
import type { ModelSpec, NamedTensor } from "../model/spec.js"
import { ResumeMismatch } from "../train/errors.js"
import { guardDifferences, resumeGuard, resumePoint } from "./resume.js"
import { modelSpec } from "./Train.js"

const storeFor = (config: TrainConfig, runDir: string) =>
  Effect.flatMap(Path.Path, (path) =>
    CheckpointStore.make({
      dir: path.join(runDir, "checkpoints"),
      keepLast: config.checkpoint.keep_last,
      keepEveryEpochs: config.checkpoint.keep_every
    }))

/**
 * Checks a `--resume` before anything in the run directory is touched: the checkpoint must exist,
 * verify and match the config (engine and thread count are checked again once the engine is
 * built). Gives where it stands (global step, epoch being run), or null when a `last` resume finds
 * no checkpoint yet and the run starts over.
 */
export const resumePosition = (config: TrainConfig, dataset: Dataset, runDir: string, ref: string) =>
  Effect.gen(function*() {
    const point = yield* resumePoint(yield* storeFor(config, runDir), ref)
    if (point === null) return null
    const guard = resumeGuard(config, dataset.manifest.fingerprint, "", 0)
    const differences = guardDifferences(point.meta.guard, guard, config.checkpoint.allow_config_change, ["engine", "threads"])
    if (differences.length > 0) return yield* new ResumeMismatch({ checkpoint: point.loaded.path, differences })
    return { step: point.meta.train_state.step, epoch: point.meta.train_state.epoch }
  })

/** A checkpoint's weights as a model to evaluate (`--validate-only`). */
export const loadCheckpointModel = (config: TrainConfig, dataset: Dataset, runDir: string, ref: string) =>
  Effect.gen(function*() {
    const store = yield* storeFor(config, runDir)
    const loaded = yield* store.load((yield* store.resolve(ref)).path)
    const spec = modelSpec(config, dataset)
    const model: { readonly spec: ModelSpec; readonly weights: ReadonlyArray<NamedTensor> } = { spec, weights: loaded.weights }
    return { path: loaded.path, model }
  })
