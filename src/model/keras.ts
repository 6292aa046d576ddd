import type * as TfModule from "@tensorflow/tfjs"
import { loadTfjs } from "../device/loaders.js"
import { weightInfos } from "./spec.js"
import type { ModelSpec, NamedTensor } from "./spec.js"

/** The @tensorflow/tfjs module, loaded by callers with `await import("@tensorflow/tfjs")`. */
export type Tf = typeof TfModule

/** Loads tfjs lazily so that nothing on the CLI's --help path imports it. */
export const loadTf: () => Promise<Tf> = loadTfjs

/**
 * The tfjs model equivalent to a ModelSpec: LSTM layers `lstm_1..n` (all but the top return
 * sequences), a Dropout after each, Dense `dense` on the top layer's last hidden state.
 * Initializers are zeros because the engines' weights are always set on it afterwards
 * (tfjs' orthogonal initializer is slow on large matrices).
 */
export const buildKerasModel = (tf: Tf, spec: ModelSpec): TfModule.Sequential => {
  const model = tf.sequential({ name: "lstm_forecaster" })
  spec.units.forEach((units, l) => {
    model.add(tf.layers.lstm({
      name: `lstm_${l + 1}`,
      units,
      returnSequences: l < spec.units.length - 1,
      // tfjs defaults to hardSigmoid (Keras 1); Keras 2 and our engines use the sigmoid
      activation: "tanh",
      recurrentActivation: "sigmoid",
      kernelInitializer: "zeros",
      recurrentInitializer: "zeros",
      unitForgetBias: true,
      ...(l === 0 ? { inputShape: [spec.lookback, spec.features] } : {})
    }))
    if (spec.dropout > 0) model.add(tf.layers.dropout({ name: `dropout_${l + 1}`, rate: spec.dropout }))
  })
  model.add(tf.layers.dense({ name: "dense", units: spec.outputs, kernelInitializer: "zeros" }))
  return model
}

/** Sets Keras-layout named tensors (matched by name) as the model's weights. */
export const setKerasWeights = (tf: Tf, model: TfModule.LayersModel, spec: ModelSpec, tensors: ReadonlyArray<NamedTensor>): void => {
  const byName = new Map(tensors.map((t) => [t.name, t]))
  const values = weightInfos(spec).map(({ name, shape }) => {
    const t = byName.get(name)
    if (t === undefined) throw new Error(`missing weight ${name}`)
    return tf.tensor(t.data, [...shape], "float32")
  })
  try {
    model.setWeights(values)
  } finally {
    values.forEach((v) => v.dispose())
  }
}

/** Reads the model's weights as Keras-layout named tensors (weightInfos names and order). */
export const getKerasWeights = async (model: TfModule.LayersModel, spec: ModelSpec): Promise<Array<NamedTensor>> => {
  const values = model.getWeights()
  const infos = weightInfos(spec)
  if (values.length !== infos.length) throw new Error(`model has ${values.length} weights, spec expects ${infos.length}`)
  // asynchronous reads: GPU backends (WebGPU) cannot read synchronously in Node
  const data = await Promise.all(values.map((v) => v.data()))
  return infos.map(({ name, shape }, i) => ({ name, shape, data: Float32Array.from(data[i]!) }))
}
