import { Rng } from "../random/Rng.js"
import { weightInfos } from "../model/spec.js"
import type { ModelSpec, NamedTensor } from "../model/spec.js"

const glorotUniform = (rng: Rng, fanIn: number, fanOut: number): Float32Array => {
  const limit = Math.sqrt(6 / (fanIn + fanOut))
  const out = new Float32Array(fanIn * fanOut)
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.uniform() - 1) * limit
  return out
}

/**
 * Keras' orthogonal initializer for a [rows, cols] matrix with rows <= cols: QR (Gram-Schmidt
 * in float64, which gives R a positive diagonal, as Keras' sign correction does) of a
 * [cols, rows] normal matrix, transposed, so the rows are orthonormal.
 */
const orthogonal = (rng: Rng, rows: number, cols: number): Float32Array => {
  const q: Array<Float64Array> = []
  for (let j = 0; j < rows; j++) {
    const v = new Float64Array(cols)
    for (let i = 0; i < cols; i++) v[i] = rng.normal()
    for (let pass = 0; pass < 2; pass++) {
      for (const p of q) {
        let dot = 0
        for (let i = 0; i < cols; i++) dot += p[i]! * v[i]!
        for (let i = 0; i < cols; i++) v[i] = v[i]! - dot * p[i]!
      }
    }
    let norm = 0
    for (let i = 0; i < cols; i++) norm += v[i]! * v[i]!
    norm = Math.sqrt(norm)
    for (let i = 0; i < cols; i++) v[i] = v[i]! / norm
    q.push(v)
  }
  const out = new Float32Array(rows * cols)
  q.forEach((row, r) => out.set(row, r * cols))
  return out
}

/**
 * Deterministic Keras-default initial weights: glorot_uniform kernels, orthogonal recurrent
 * kernels, zero biases with the forget gate's bias 1 (unit_forget_bias), glorot_uniform dense
 * kernel, zero dense bias.
 */
export const initialWeights = (spec: ModelSpec, seed: number): Array<NamedTensor> => {
  const rng = new Rng(seed)
  return weightInfos(spec).map(({ name, shape }) => {
    let data: Float32Array
    if (name.endsWith("/recurrent_kernel")) data = orthogonal(rng, shape[0]!, shape[1]!)
    else if (name.endsWith("/kernel")) data = glorotUniform(rng, shape[0]!, shape[1]!)
    else {
      data = new Float32Array(shape[0]!)
      if (name.startsWith("lstm_")) data.fill(1, data.length / 4, data.length / 2)
    }
    return { name, shape, data }
  })
}
