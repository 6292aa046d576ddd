/** The contract between the training loop and any training engine (fused WASM, TS oracle, tfjs). */
import type { NamedTensor } from "../model/spec.js"

/** Optimizer settings; the learning rate is passed per step because schedules live in the loop. */
export interface OptimizerSpec {
  readonly kind: "adam" | "adamw" | "sgd"
  readonly beta1: number
  readonly beta2: number
  readonly epsilon: number
  /** Decoupled weight decay for adamw; L2-free otherwise. */
  readonly weightDecay: number
  /** SGD momentum. */
  readonly momentum: number
  /** Clip gradients by global norm before the update; null disables. */
  readonly clipNorm: number | null
}

/** Everything an engine needs to continue exactly where it was. */
export interface EngineState {
  readonly weights: ReadonlyArray<NamedTensor>
  /** Optimizer step count and slots (Adam m and v per weight, named `<weight>/m`, `<weight>/v`). */
  readonly optimizerStep: number
  readonly slots: ReadonlyArray<NamedTensor>
}

/** A batch: x is [batch, lookback, features] row-major, y is [batch, outputs]. */
export interface Batch {
  readonly x: Float32Array
  readonly y: Float32Array
  readonly size: number
}

/** Result of one optimizer step. */
export interface StepResult {
  /** Mean squared error of the batch before the update. */
  readonly loss: number
  /** Global gradient norm before clipping. */
  readonly gradNorm: number
}
