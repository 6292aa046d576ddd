import { Path } from "@effect/platform"
import { Effect, Schema } from "effect"
import { availableParallelism } from "node:os"
import * as CheckpointStore from "../checkpoint/CheckpointStore.js"
import { packTensors, unpackTensors } from "../checkpoint/tensors.js"
import type { TrainConfig } from "../config/TrainConfig.js"
import type { Dataset } from "../data/Dataset.js"
import { makeEngine } from "../engine/Engine.js"
import type { OptimizerSpec } from "../engine/types.js"
import type { ModelSpec, NamedTensor } from "../model/spec.js"
import { sha256Hex } from "../fs/hash.js"
import { Progress } from "../progress/Progress.js"
import { ResumeMismatch } from "../train/errors.js"
import { type CheckpointKind, trainLoop } from "../train/loop.js"
import { initialTrainState, TrainState } from "../train/TrainState.js"
import { bestWeightsFor, guardDifferences, resumeGuard, resumePoint } from "./resume.js"
import type { Stage } from "./Stage.js"

/** The engine the config asks for, given where the math runs. */
export const engineKind = (config: TrainConfig, deviceIsGpu: boolean): "wasm" | "reference" | "tfjs" =>
  config.train.engine === "auto" ? (deviceIsGpu ? "tfjs" : "wasm") : config.train.engine

/** Worker threads the fused engine uses. */
export const threadCount = (config: TrainConfig): number =>
  config.runtime.threads > 0 ? config.runtime.threads : Math.max(1, availableParallelism())

/** The model shape a config and dataset give. */
export const modelSpec = (config: TrainConfig, dataset: Dataset): ModelSpec => ({
  features: dataset.manifest.features.length,
  lookback: dataset.manifest.lookback,
  units: Array.from({ length: config.model.layers }, () => config.model.hidden_size),
  dropout: config.model.dropout,
  outputs: dataset.manifest.horizon
})

/** The optimizer settings of a config. */
export const optimizerSpec = (config: TrainConfig): OptimizerSpec => ({
  kind: config.train.optimizer,
  beta1: config.train.beta1,
  beta2: config.train.beta2,
  epsilon: config.train.epsilon,
  weightDecay: config.train.weight_decay,
  momentum: config.train.momentum,
  clipNorm: config.train.clip_norm
})

/** The output of Train: the final (best-restored) weights and how they came about. */
export interface TrainedModel {
  readonly spec: ModelSpec
  readonly weights: ReadonlyArray<NamedTensor>
  readonly state: TrainState
  readonly engine: string
  readonly threads: number
  /** Run directory that trained these weights (checkpoints, TensorBoard files). */
  readonly trainedIn: string
  /** sha256 of the final weights (little-endian float32, in Keras layout order). */
  readonly weightsSha256: string
  readonly resumedFrom: string | null
}

/** Hex sha256 of tensors as stored (the summary's `weights_sha256`). */
export const weightsSha256 = (weights: ReadonlyArray<NamedTensor>): string => sha256Hex(packTensors(weights).bytes)

/** Where training starts: a checkpoint to resume, or nothing. */
export interface TrainInput {
  readonly config: TrainConfig
  readonly dataset: Dataset
  readonly runDir: string
  /** `--resume` reference resolved against this run's checkpoints: last, best or a path. */
  readonly resume: string | null
  /** True when the tfjs side runs on a GPU (auto engine then picks tfjs). */
  readonly deviceIsGpu: boolean
}

/** The Train stage body: build the engine, resume if asked, run the loop, return the trained model. */
export const train = (input: TrainInput) =>
  Effect.scoped(
    Effect.gen(function*() {
      const { config, dataset, runDir } = input
      const path = yield* Path.Path
      const progress = yield* Progress
      const kind = engineKind(config, input.deviceIsGpu)
      const threads = kind === "wasm" ? threadCount(config) : 1
      const spec = modelSpec(config, dataset)
      const engine = yield* makeEngine({ kind, spec, optimizer: optimizerSpec(config), seed: config.seed, threads })
      const guard = resumeGuard(config, dataset.manifest.fingerprint, engine.name, threads)
      const mode = config.train.early_stopping.mode
      const store = yield* CheckpointStore.make({
        dir: path.join(runDir, "checkpoints"),
        keepLast: config.checkpoint.keep_last,
        keepEveryEpochs: config.checkpoint.keep_every
      })

      let start = initialTrainState(config.train.learning_rate)
      let bestWeights: ReadonlyArray<NamedTensor> | null = null
      let resumedFrom: string | null = null
      const point = input.resume === null ? null : yield* resumePoint(store, input.resume)
      if (input.resume !== null && point === null) {
        yield* progress.note(`no checkpoint in ${store.dir} yet: training this run from the start`)
      }
      if (point !== null) {
        for (const warning of point.warnings) yield* progress.note(`warning: ${warning}`)
        const { loaded, meta } = point
        const differences = guardDifferences(meta.guard, guard, config.checkpoint.allow_config_change)
        if (differences.length > 0) return yield* new ResumeMismatch({ checkpoint: loaded.path, differences })
        yield* engine.setState({ weights: loaded.weights, optimizerStep: meta.train_state.step, slots: loaded.optimizer })
        start = meta.train_state
        const best = yield* bestWeightsFor(store, point)
        if (best.missing !== null && config.train.early_stopping.restore_best) yield* progress.note(`warning: ${best.missing}`)
        bestWeights = best.weights
        resumedFrom = loaded.path
        yield* progress.note(
          `resuming from ${loaded.path} (epoch ${start.epoch}, batch ${start.batch_in_epoch}, step ${start.step})`
        )
      }

      const save = (kind: CheckpointKind, state: TrainState, engineState: { weights: ReadonlyArray<NamedTensor>; slots: ReadonlyArray<NamedTensor> }) =>
        store.save({
          kind,
          epoch: state.epoch,
          step: state.step,
          meta: { train_state: Schema.encodeSync(TrainState)(state), guard, engine: engine.name },
          tensors: { weights: engineState.weights, optimizer: engineState.slots },
          mode,
          ...(kind === "best" && state.best_score !== null ? { score: state.best_score } : {})
        }).pipe(Effect.map((r) => r.path))

      const out = yield* trainLoop({
        config,
        train: dataset.splits.train,
        val: dataset.splits.val,
        features: spec.features,
        engine,
        start,
        bestWeights,
        checkpoints: { save }
      })
      return {
        spec,
        weights: out.weights,
        state: out.state,
        engine: engine.name,
        threads,
        trainedIn: runDir,
        weightsSha256: weightsSha256(out.weights),
        resumedFrom
      } satisfies TrainedModel
    })
  )

const TrainedMeta = Schema.Struct({
  spec: Schema.Struct({
    features: Schema.Number,
    lookback: Schema.Number,
    units: Schema.Array(Schema.Number),
    dropout: Schema.Number,
    outputs: Schema.Number
  }),
  index: Schema.Array(Schema.Struct({ name: Schema.String, shape: Schema.Array(Schema.Number), offset: Schema.Number })),
  state: TrainState,
  engine: Schema.String,
  threads: Schema.Number,
  trained_in: Schema.String,
  weights_sha256: Schema.String,
  resumed_from: Schema.NullOr(Schema.String)
})

/** Bump when Train's output for the same inputs changes. */
export const trainVersion = 1

/** What Train's cache key reads: model, optimisation, seed, device and thread count (summation order). */
export const trainReads = (config: TrainConfig) => ({
  model: config.model,
  train: config.train,
  seed: config.seed,
  device: config.runtime.device,
  threads: engineKind(config, false) === "wasm" ? threadCount(config) : 1
})

/** The Train stage: cached on the model, optimisation, data and engine settings. */
export const Train = <E, R>(run: (config: TrainConfig) => Effect.Effect<TrainedModel, E, R>): Stage<TrainConfig, TrainedModel, E, R, unknown> => ({
  name: "train",
  version: trainVersion,
  reads: trainReads,
  run,
  encode: (model) => {
    const packed = packTensors(model.weights)
    return {
      files: [{ name: "weights.bin", data: packed.bytes }],
      meta: Schema.encodeSync(TrainedMeta)({
        spec: model.spec,
        index: packed.index,
        state: model.state,
        engine: model.engine,
        threads: model.threads,
        trained_in: model.trainedIn,
        weights_sha256: model.weightsSha256,
        resumed_from: model.resumedFrom
      })
    }
  },
  decode: (entry) =>
    Effect.gen(function*() {
      const meta = yield* Schema.decodeUnknown(TrainedMeta)(entry.meta)
      const unpacked = unpackTensors("weights.bin", yield* entry.files("weights.bin"), meta.index)
      if ("error" in unpacked) return yield* Effect.fail(unpacked.error)
      return {
        spec: meta.spec,
        weights: unpacked.tensors,
        state: meta.state,
        engine: meta.engine,
        threads: meta.threads,
        trainedIn: meta.trained_in,
        weightsSha256: meta.weights_sha256,
        resumedFrom: meta.resumed_from
      } satisfies TrainedModel
    })
})
