import { Path } from "@effect/platform"
import { Effect, Schema } from "effect"
import * as CheckpointStore from "../checkpoint/CheckpointStore.js"
import type { TrainConfig } from "../config/TrainConfig.js"
import type { Dataset } from "../data/Dataset.js"
import type { ModelSpec, NamedTensor } from "../engine/types.js"
import { ResumeMismatch } from "../train/errors.js"
import { CheckpointMeta, modelSpec } from "./Train.js"

const storeFor = (config: TrainConfig, runDir: string) =>
  Effect.flatMap(Path.Path, (path) =>
    CheckpointStore.make({
      dir: path.join(runDir, "checkpoints"),
      keepLast: config.checkpoint.keep_last,
      keepEveryEpochs: config.checkpoint.keep_every
    }))

const loadResolved = (config: TrainConfig, runDir: string, ref: string) =>
  Effect.gen(function*() {
    const store = yield* storeFor(config, runDir)
    const resolved = yield* store.resolve(ref)
    const loaded = yield* store.load(resolved.path)
    const meta = yield* Schema.decodeUnknown(CheckpointMeta)(loaded.meta).pipe(
      Effect.mapError(() => new ResumeMismatch({ checkpoint: loaded.path, differences: ["state.json is not a training checkpoint of this version"] }))
    )
    return { loaded, meta }
  })

/** Where a checkpoint stands (global step, epoch being run), read before trackers open. */
export const resumePosition = (config: TrainConfig, runDir: string, ref: string) =>
  Effect.map(loadResolved(config, runDir, ref), ({ meta }) => ({ step: meta.train_state.step, epoch: meta.train_state.epoch }))

/** A checkpoint's weights as a model to evaluate (`--validate-only`). */
export const loadCheckpointModel = (config: TrainConfig, dataset: Dataset, runDir: string, ref: string) =>
  Effect.gen(function*() {
    const { loaded } = yield* loadResolved(config, runDir, ref)
    const spec = modelSpec(config, dataset)
    const model: { readonly spec: ModelSpec; readonly weights: ReadonlyArray<NamedTensor> } = { spec, weights: loaded.weights }
    return { path: loaded.path, model }
  })
