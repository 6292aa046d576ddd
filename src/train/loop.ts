import { Effect } from "effect"
import type { TrainConfig } from "../config/TrainConfig.js"
import type { Split } from "../data/Dataset.js"
import { windowsX } from "../data/views.js"
import type { EngineError, TrainEngine } from "../engine/Engine.js"
import type { EngineState } from "../engine/types.js"
import type { NamedTensor } from "../model/spec.js"
import { Progress } from "../progress/Progress.js"
import { Tracker } from "../tracking/Tracker.js"
import { TrainingDiverged } from "./errors.js"
import { epochEnd } from "./epochEnd.js"
import { scheduledRate } from "./schedule.js"
import { predictSplit } from "../data/predictSplit.js"
import { epochOrder } from "./shuffle.js"
import type { TrainState } from "./TrainState.js"

/** Why a checkpoint is written. */
export type CheckpointKind = "periodic" | "emergency" | "best"

/** How the loop persists its state; the Train stage backs it with the CheckpointStore. */
export interface LoopCheckpoints<E> {
  readonly save: (kind: CheckpointKind, state: TrainState, engine: EngineState) => Effect.Effect<string, E>
}

/** What the loop needs: the config, the data, a ready engine and where it starts from. */
export interface LoopInput<E> {
  readonly config: TrainConfig
  readonly train: Split
  readonly val: Split
  readonly features: number
  readonly engine: TrainEngine
  readonly start: TrainState
  /** Best weights so far when resuming (from the best checkpoint); null on a fresh run. */
  readonly bestWeights: ReadonlyArray<NamedTensor> | null
  readonly checkpoints: LoopCheckpoints<E>
}

/** The loop's result: the final state and the weights the model ends with (best restored). */
export interface LoopOutput {
  readonly state: TrainState
  readonly weights: ReadonlyArray<NamedTensor>
  /** Path of the newest checkpoint written, if any. */
  readonly lastCheckpoint: string | null
}

const copyTensors = (tensors: ReadonlyArray<NamedTensor>): ReadonlyArray<NamedTensor> =>
  tensors.map((t) => ({ name: t.name, shape: [...t.shape], data: new Float32Array(t.data) }))

/** Mean squared error of the engine's predictions on a split, in scaled units. */
export const splitLoss = (
  engine: TrainEngine,
  split: Split,
  lookback: number,
  features: number,
  outputs: number
): Effect.Effect<number | null, EngineError> =>
  split.n === 0
    ? Effect.succeed(null)
    : Effect.map(predictSplit(split, lookback, features, outputs, engine.predict), (pred) => {
      let sum = 0
      for (let i = 0; i < pred.length; i++) {
        const d = pred[i]! - split.y[i]!
        sum += d * d
      }
      return sum / pred.length
    })

/**
 * The epoch/batch loop. Each optimizer step and the bookkeeping that goes with it is one
 * uninterruptible unit, so an interrupt lands between batches with state and weights in step;
 * it then writes an emergency checkpoint before the interruption propagates.
 */
export const trainLoop = <E>(input: LoopInput<E>) =>
  Effect.gen(function*() {
    const { config, engine, train, val, features } = input
    const cfg = config.train
    const tracker = yield* Tracker
    const progress = yield* Progress
    const lookback = config.data.lookback
    const outputs = config.data.horizon
    const batchSize = cfg.batch_size
    const batches = Math.ceil(train.n / batchSize)
    const stride = lookback * features
    const xBuf = new Float32Array(batchSize * stride)
    const yBuf = new Float32Array(batchSize * outputs)
    const es = cfg.early_stopping

    let state: TrainState = input.start
    let bestWeights = input.bestWeights
    let lastCheckpoint: string | null = null

    // metric lines up to the checkpoint's step reach the file first: a SIGKILL after the save
    // then loses nothing the resumed run will not log again
    const save = (kind: CheckpointKind) =>
      tracker.flush.pipe(
        Effect.zipRight(engine.getState),
        Effect.flatMap((engineState) => input.checkpoints.save(kind, state, engineState)),
        Effect.tap((path) => Effect.sync(() => (lastCheckpoint = path)))
      )

    const totalSamples = cfg.epochs * train.n
    const eta = (samplesPerSec: number): number => {
      const done = (state.epoch - 1) * train.n + state.epoch_loss_count
      return samplesPerSec > 0 ? (totalSamples - done) / samplesPerSec : 0
    }

    const runEpoch = Effect.gen(function*() {
      const epoch = state.epoch
      if (state.batch_in_epoch === 0) state = { ...state, lr: scheduledRate(cfg, epoch, state.lr) }
      const order = epochOrder(train.n, config.seed, epoch, cfg.shuffle)
      const started = performance.now()
      // checkpoint time is not training time
      let savingMs = 0
      let samplesTimed = 0
      const trainingSeconds = () => Math.max(0, performance.now() - started - savingMs) / 1000

      for (let b = state.batch_in_epoch; b < batches; b++) {
        const from = b * batchSize
        const size = Math.min(batchSize, train.n - from)
        train.gather(order, from, size, xBuf)
        for (let i = 0; i < size; i++) {
          const src = order[from + i]!
          yBuf.set(train.y.subarray(src * outputs, (src + 1) * outputs), i * outputs)
        }
        const batch = { x: xBuf.subarray(0, size * stride), y: yBuf.subarray(0, size * outputs), size }
        // the step, the state that counts it and its metric line happen together or not at all, so
        // an interrupt never leaves a step the checkpoint counts but metrics.jsonl lacks
        const result = yield* Effect.uninterruptible(
          Effect.gen(function*() {
            const r = yield* engine.step(batch, state.lr)
            state = {
              ...state,
              step: state.step + 1,
              batch_in_epoch: b + 1,
              epoch_loss_sum: state.epoch_loss_sum + r.loss * size,
              epoch_loss_count: state.epoch_loss_count + size
            }
            if (Number.isFinite(r.loss) && state.step % config.tracking.log_every_batches === 0) {
              yield* tracker.logMetrics({ "train/loss": r.loss, lr: state.lr, grad_norm: r.gradNorm }, state.step, "batch")
            }
            return r
          })
        )
        if (!Number.isFinite(result.loss)) {
          return yield* Effect.fail(new TrainingDiverged({ epoch, step: state.step, loss: result.loss, lastCheckpoint }))
        }
        samplesTimed += size
        const elapsed = trainingSeconds()
        const samplesPerSec = elapsed > 0 ? samplesTimed / elapsed : 0
        yield* progress.batch({
          epoch,
          epochs: cfg.epochs,
          batch: b + 1,
          batches,
          loss: state.epoch_loss_sum / state.epoch_loss_count,
          lr: state.lr,
          samplesPerSec,
          etaSeconds: eta(samplesPerSec)
        })
        if (config.checkpoint.save_interval_batches > 0 && state.step % config.checkpoint.save_interval_batches === 0) {
          const saveStarted = performance.now()
          yield* save("periodic")
          savingMs += performance.now() - saveStarted
        }
      }

      const trainSeconds = trainingSeconds()
      const valLoss = yield* splitLoss(engine, val, lookback, features, outputs)
      const trainLoss = state.epoch_loss_count > 0 ? state.epoch_loss_sum / state.epoch_loss_count : Number.NaN
      const { improved, next } = epochEnd(cfg, state, epoch, { train: trainLoss, val: valLoss })
      const samplesPerSec = trainSeconds > 0 ? samplesTimed / trainSeconds : 0
      const record = {
        epoch,
        train_loss: trainLoss,
        val_loss: valLoss,
        lr: state.lr,
        seconds: trainSeconds,
        samples_per_s: samplesPerSec
      }
      const stop = next.stopped_early
      const epochMetrics: Record<string, number> = {
        "train/loss": trainLoss,
        lr: record.lr,
        samples_per_s: samplesPerSec,
        epoch_time_s: trainSeconds
      }
      if (valLoss !== null) epochMetrics["val/loss"] = valLoss
      // GPU engines: their device memory in use, beside the process's RSS and CPU (Lightning's DeviceStatsMonitor)
      const deviceBytes = yield* engine.deviceMemoryBytes
      if (deviceBytes !== null) epochMetrics["system/gpu_memory_mb"] = Math.round(deviceBytes / 1024 / 102.4) / 10

      // closing the epoch is one unit: a checkpoint never holds a closed epoch whose metric line,
      // histograms or best weights were not written yet
      yield* Effect.uninterruptible(Effect.gen(function*() {
        state = {
          ...state,
          epoch: epoch + 1,
          batch_in_epoch: 0,
          epoch_loss_sum: 0,
          epoch_loss_count: 0,
          ...next,
          train_seconds: state.train_seconds + trainSeconds,
          history: [...state.history, record]
        }
        yield* tracker.logMetrics(epochMetrics, epoch, "epoch")
        if (config.tracking.histogram_every > 0 && epoch % config.tracking.histogram_every === 0) {
          const weights = (yield* engine.getState).weights
          // gradients on the first training batch (in file order): a fixed probe, no update
          const probeSize = Math.min(batchSize, train.n)
          const probe = {
            x: windowsX(train, lookback, features, 0, probeSize),
            y: train.y.subarray(0, probeSize * outputs),
            size: probeSize
          }
          const { grads } = yield* engine.gradients(probe)
          yield* tracker.logHistograms(
            Object.fromEntries([...weights.map((w) => [w.name, w.data]), ...grads.map((g) => [`grad/${g.name}`, g.data])]),
            epoch
          )
        }
        if (improved) {
          bestWeights = copyTensors((yield* engine.getState).weights)
          yield* save("best")
        }
      }))
      yield* progress.epoch({
        epoch,
        epochs: cfg.epochs,
        trainLoss,
        valLoss,
        lr: record.lr,
        samplesPerSec,
        seconds: trainSeconds,
        improved,
        etaSeconds: eta(samplesPerSec)
      })

      const periodic = config.checkpoint.save_interval > 0 && epoch % config.checkpoint.save_interval === 0
      if (periodic || stop || epoch === cfg.epochs) yield* save("periodic")
      if (stop) yield* progress.note(`early stopping: no improvement in ${es.monitor} for ${next.epochs_without_improvement} epochs (best epoch ${state.best_epoch})`)
    })

    const loop = Effect.gen(function*() {
      while (state.epoch <= cfg.epochs && !state.stopped_early) yield* runEpoch
    })

    yield* loop.pipe(
      Effect.onInterrupt(() =>
        progress.note("interrupted during training: writing an emergency checkpoint…").pipe(
          Effect.zipRight(save("emergency")),
          Effect.tap((path) => progress.note(`interrupted: emergency checkpoint written to ${path}`)),
          Effect.catchAll((e) => progress.note(`interrupted: the emergency checkpoint could not be written: ${String(e)}`))
        )
      )
    )

    const finalState = yield* engine.getState
    const weights = es.restore_best && bestWeights !== null ? bestWeights : copyTensors(finalState.weights)
    if (es.restore_best && bestWeights !== null) {
      yield* engine.setState({ ...finalState, weights: bestWeights })
    }
    return { state, weights, lastCheckpoint } satisfies LoopOutput
  }).pipe(Effect.withSpan("Train.loop"))
