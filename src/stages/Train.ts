import { Effect, Schema } from "effect"
import { availableParallelism } from "node:os"
import { packTensors, unpackTensors } from "../checkpoint/tensors.js"
import type { TrainConfig } from "../config/TrainConfig.js"
import type { Dataset } from "../data/Dataset.js"
import { acquireDevice, selectDevice } from "../device/Device.js"
import { runsOnGpu } from "../device/select.js"
import { EngineError, makeEngine } from "../engine/Engine.js"
import { nativeSupport } from "../engine/nativeAddon.js"
import type { OptimizerSpec } from "../engine/types.js"
import { type ModelSpec, ModelSpecSchema, type NamedTensor } from "../model/spec.js"
import { sha256Hex } from "../fs/hash.js"
import { Progress } from "../progress/Progress.js"
import { type CheckpointKind, trainLoop } from "../train/loop.js"
import { checkpointEpoch, initialTrainState, TrainState } from "../train/TrainState.js"
import { bestWeightsFor, guardDifferences, ResumeMismatch, resumeGuard } from "../resume/guard.js"
import { requireActiveRun } from "../resume/ActiveRun.js"
import { type Metrics, Tracker } from "../tracking/Tracker.js"
import { PrepareData } from "./PrepareData.js"
import type { Stage } from "./Stage.js"

/**
 * The engine the config asks for, given where the math runs (auto: the fused WGSL engine on a
 * WebGPU device, tfjs on native TensorFlow's GPU, else native kernels where built, else wasm).
 */
export const engineKind = (config: TrainConfig, deviceIsGpu: boolean, webgpu = false): Exclude<TrainConfig["runtime"]["engine"], "auto"> =>
  config.runtime.engine === "auto"
    ? (webgpu ? "webgpu" : deviceIsGpu ? "tfjs" : nativeSupport().ok ? "native" : "wasm")
    : config.runtime.engine

/** Whether an engine splits the batch over `runtime.threads` (the others run on one). */
const threaded = (kind: ReturnType<typeof engineKind>): boolean => kind === "wasm" || kind === "native"

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

/**
 * The losses of the weights the model ends with, for the run's final metrics: the best epoch's
 * when early stopping restores its weights, else the last epoch's. MLflow's latest value and
 * W&B's summary then report the model that was kept, not the last epoch trained.
 */
export const keptModelMetrics = (state: TrainState, restoreBest: boolean): Metrics => {
  const restored = restoreBest && state.best_epoch > 0
  const kept = restored ? state.history.find((r) => r.epoch === state.best_epoch) : state.history.at(-1)
  if (kept === undefined) return {}
  return {
    "train/loss": kept.train_loss,
    ...(kept.val_loss === null ? {} : { "val/loss": kept.val_loss }),
    ...(restored ? { best_epoch: kept.epoch } : {})
  }
}

/** The run tag that says whether the Train stage's output came from the stage cache ("true") or was trained ("false"). */
export const trainCachedTag = "lstm_pipeline.train_cached"

/** Select (and for tfjs, acquire) the device, build the engine, continue from the resume point, run the loop. */
const trainModel = Effect.fn("Train.run")(function*(config: TrainConfig, dataset: Dataset) {
  const progress = yield* Progress
  const { dir, checkpoints: store, resume: point } = yield* requireActiveRun
  const selection = yield* selectDevice(deviceRequest(config))
  if (selection.warning !== undefined) yield* progress.note(`warning: ${selection.warning}`)
  const gpu = runsOnGpu(selection.status)
  // on webgpu a software adapter may train only when --device webgpu asked for it without --gpu
  const adapter = selection.name === "webgpu" ? selection.adapterPolicy ?? "hardware" : "any"
  const kind = engineKind(config, gpu, selection.name === "webgpu")
  if (kind === "tfjs") {
    const handle = yield* acquireDevice(selection)
    yield* progress.note(`device: ${handle.name} (tfjs engine)`)
  } else if (kind === "webgpu") {
    yield* progress.note(`device: webgpu (fused WGSL engine on ${selection.status.reason})`)
  } else {
    yield* progress.note(`device: cpu (${kind} engine)`)
  }
  const threads = threaded(kind) ? threadCount(config) : 1
  const spec = modelSpec(config, dataset)
  const engine = yield* makeEngine({ kind, spec, optimizer: optimizerSpec(config), seed: config.seed, threads, adapter })
  // as Keras' TensorBoard callback does at the start of fit
  yield* Effect.flatMap(Tracker, (tracker) => tracker.logGraph(spec))
  const guard = resumeGuard(config, dataset.manifest.fingerprint, engine.name, threads)
  const mode = config.train.early_stopping.mode

  let start = initialTrainState(config.train.learning_rate)
  let bestWeights: ReadonlyArray<NamedTensor> | null = null
  let resumedFrom: string | null = null
  if (config.checkpoint.resume !== null && point === null) {
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
    yield* progress.note(`resuming from ${loaded.path} (epoch ${start.epoch}, batch ${start.batch_in_epoch}, step ${start.step})`)
  }

  const save = (kind: CheckpointKind, state: TrainState, engineState: { weights: ReadonlyArray<NamedTensor>; slots: ReadonlyArray<NamedTensor> }) =>
    store.save({
      kind,
      epoch: checkpointEpoch(state),
      step: state.step,
      meta: { train_state: Schema.encodeSync(TrainState)(state), guard, engine: engine.name },
      tensors: { weights: engineState.weights, optimizer: engineState.slots },
      mode,
      ...(kind === "best" && state.best_score !== null ? { score: state.best_score } : {})
    }).pipe(Effect.map((r) => r.path))

  const training = trainLoop({
    config,
    train: dataset.splits.train,
    val: dataset.splits.val,
    features: spec.features,
    engine,
    start,
    bestWeights,
    checkpoints: { save }
  })
  // a tfjs backend that breaks mid-training (e.g. a GPU driver problem) is a training failure, not a bug here
  const out = yield* kind === "tfjs"
    ? training.pipe(Effect.catchAllDefect((defect) =>
      new EngineError({ reason: `tfjs on ${selection.name} failed: ${defect instanceof Error ? defect.message : String(defect)}` })
    ))
    : training
  return {
    spec,
    weights: out.weights,
    state: out.state,
    engine: engine.name,
    threads,
    trainedIn: dir.location.runDir,
    weightsSha256: weightsSha256(out.weights),
    resumedFrom
  } satisfies TrainedModel
}, Effect.scoped)

/** The device the config asks for. */
const deviceRequest = (config: TrainConfig) => ({ device: config.runtime.device, gpu: config.runtime.gpu, cpu: config.runtime.device === "cpu" })

const TrainedMeta = Schema.Struct({
  spec: ModelSpecSchema,
  index: Schema.Array(Schema.Struct({ name: Schema.String, shape: Schema.Array(Schema.Number), offset: Schema.Number })),
  state: TrainState,
  engine: Schema.String,
  threads: Schema.Number,
  trained_in: Schema.String,
  weights_sha256: Schema.String,
  resumed_from: Schema.NullOr(Schema.String)
})

/**
 * Train: cached on the model, optimisation, seed, device, engine and thread count (summation
 * order) and the dataset; a `--resume` always runs it.
 */
export const Train: Stage<TrainedModel, { readonly data: typeof PrepareData }> = {
  name: "train",
  version: 3,
  needs: { data: PrepareData },
  inRun: true,
  alwaysRuns: ({ loaded }) => loaded.config.checkpoint.resume !== null,
  // an explicitly requested device must exist before anything is written
  precheck: ({ loaded: { config } }) =>
    config.runtime.device !== "auto" || config.runtime.gpu !== null ? Effect.asVoid(selectDevice(deviceRequest(config))) : Effect.void,
  reads: ({ loaded: { config } }) =>
    Effect.succeed({
      model: config.model,
      train: config.train,
      seed: config.seed,
      device: config.runtime.device,
      engine: config.runtime.engine,
      threads: threaded(engineKind(config, false)) ? threadCount(config) : 1
    }),
  run: ({ data }, { loaded }) => trainModel(loaded.config, data),
  publish: (model, cached) =>
    Effect.gen(function*() {
      const tracker = yield* Tracker
      // a user comparing runs must see that this one trained nothing (and where its weights come from)
      yield* tracker.setTags({ [trainCachedTag]: String(cached), ...(cached ? { "lstm_pipeline.trained_in": model.trainedIn } : {}) })
      if (!cached) return
      yield* tracker.logGraph(model.spec)
      // a model from the cache still gives this run its curves
      yield* Effect.forEach(model.state.history, (r) =>
        tracker.logMetrics(
          { "train/loss": r.train_loss, ...(r.val_loss === null ? {} : { "val/loss": r.val_loss }), lr: r.lr },
          r.epoch,
          "epoch"
        ), { discard: true })
    }),
  summarize: (model) => {
    const history = model.state.history
    const epochSamples = history.reduce((s, r) => s + r.samples_per_s * r.seconds, 0)
    const epochSeconds = history.reduce((s, r) => s + r.seconds, 0)
    return {
      best_epoch: model.state.best_epoch === 0 ? null : model.state.best_epoch,
      epochs_completed: history.length,
      stopped_early: model.state.stopped_early,
      engine: model.engine,
      threads: model.threads,
      train_seconds: Number(model.state.train_seconds.toFixed(3)),
      samples_per_s: epochSeconds > 0 ? Math.round(epochSamples / epochSeconds) : null,
      weights_sha256: model.weightsSha256,
      trained_in: model.trainedIn,
      resumed_from: model.resumedFrom
    }
  },
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
}
