import { Schema } from "effect"

// a checkpoint's state is outside input: a hand-edited (re-sealed) state.json must not decode
// into negative counters or NaN that the loop would then run with
const Count = Schema.Int.pipe(Schema.nonNegative())
const Finite = Schema.Number.pipe(Schema.finite())

/** One finished epoch, as recorded in the run's history. */
export const EpochRecord = Schema.Struct({
  epoch: Schema.Number,
  train_loss: Schema.Number,
  val_loss: Schema.NullOr(Schema.Number),
  lr: Schema.Number,
  seconds: Schema.Number,
  samples_per_s: Schema.Number
})
export type EpochRecord = typeof EpochRecord.Type

/**
 * The loop's complete position: with the engine state (weights, optimizer slots and step) it is
 * everything needed to continue bit-identically. Shuffling and dropout are counter-based on
 * (seed, epoch) and (seed, step), so no generator state needs saving.
 */
export const TrainState = Schema.Struct({
  /** Epoch being run (1-based); equals `epochs + 1` once training is finished. */
  epoch: Count.pipe(Schema.greaterThanOrEqualTo(1)),
  /** Next batch index within the epoch. */
  batch_in_epoch: Count,
  /** Optimizer steps done. */
  step: Count,
  /** Learning rate the schedule currently gives. */
  lr: Finite.pipe(Schema.nonNegative()),
  /** Sum of sample-weighted batch losses and samples seen so far in the current epoch (for a mid-epoch resume). */
  epoch_loss_sum: Finite,
  epoch_loss_count: Count,
  /** Best monitored score and its epoch; null before the first evaluation. */
  best_score: Schema.NullOr(Finite),
  best_epoch: Count,
  /** Epochs without improvement (early stopping) and since the last LR reduction (plateau schedule). */
  epochs_without_improvement: Count,
  plateau_wait: Count,
  stopped_early: Schema.Boolean,
  /** Seconds spent training so far, across resumes. */
  train_seconds: Finite.pipe(Schema.nonNegative()),
  history: Schema.Array(EpochRecord)
})
export type TrainState = typeof TrainState.Type

/** The state before the first batch. */
export const initialTrainState = (lr: number): TrainState => ({
  epoch: 1,
  batch_in_epoch: 0,
  step: 0,
  lr,
  epoch_loss_sum: 0,
  epoch_loss_count: 0,
  best_score: null,
  best_epoch: 0,
  epochs_without_improvement: 0,
  plateau_wait: 0,
  stopped_early: false,
  train_seconds: 0,
  history: []
})

/**
 * The epoch a checkpoint of `state` is named after: the epoch it completed when saved at an epoch
 * boundary (`state.epoch` is then already the next one to run), else the epoch it is inside.
 */
export const checkpointEpoch = (state: Pick<TrainState, "epoch" | "batch_in_epoch">): number =>
  state.batch_in_epoch === 0 ? state.epoch - 1 : state.epoch
