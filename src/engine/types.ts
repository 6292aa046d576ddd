/** The contract between the training loop and any training engine (fused WASM, TS oracle, tfjs). */

/** Shape of the forecaster: stacked LSTM over `lookback` steps, last hidden state -> Dense(outputs). */
export interface ModelSpec {
  /** Inputs per time step. */
  readonly features: number
  /** Sequence length (time steps per window). */
  readonly lookback: number
  /** Hidden units of each LSTM layer, bottom to top. */
  readonly units: ReadonlyArray<number>
  /** Inverted dropout rate applied to each LSTM layer's output sequence (training only); 0 disables. */
  readonly dropout: number
  /** Dense head width: the forecast horizon. */
  readonly outputs: number
}

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

/** One tensor in Keras/tfjs layout, e.g. `lstm_1/kernel` [features, 4*units] with gates i, f, c, o. */
export interface NamedTensor {
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly data: Float32Array
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
