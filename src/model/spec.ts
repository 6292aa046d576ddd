import { Schema } from "effect"

/** The forecaster as a model: its shape, its named tensors and their Keras layout. Engines build on this. */

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

/** ModelSpec as a Schema, for the files that store one (a cached Train output, a tracking spool). */
export const ModelSpecSchema = Schema.Struct({
  features: Schema.Number,
  lookback: Schema.Number,
  units: Schema.Array(Schema.Number),
  dropout: Schema.Number,
  outputs: Schema.Number
})

/** One tensor in Keras/tfjs layout, e.g. `lstm_1/kernel` [features, 4*units] with gates i, f, c, o. */
export interface NamedTensor {
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly data: Float32Array
}

/** Name and Keras shape of every trainable tensor, in the order tfjs lists a model's weights. */
export interface WeightInfo {
  readonly name: string
  readonly shape: ReadonlyArray<number>
}

/** The weights of a ModelSpec: per LSTM layer kernel, recurrent_kernel, bias; then the dense head. */
export const weightInfos = (spec: ModelSpec): ReadonlyArray<WeightInfo> => {
  const out: Array<WeightInfo> = []
  let input = spec.features
  spec.units.forEach((u, l) => {
    out.push({ name: `lstm_${l + 1}/kernel`, shape: [input, 4 * u] })
    out.push({ name: `lstm_${l + 1}/recurrent_kernel`, shape: [u, 4 * u] })
    out.push({ name: `lstm_${l + 1}/bias`, shape: [4 * u] })
    input = u
  })
  out.push({ name: "dense/kernel", shape: [input, spec.outputs] })
  out.push({ name: "dense/bias", shape: [spec.outputs] })
  return out
}
