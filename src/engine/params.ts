import type { ModelSpec, NamedTensor } from "../model/spec.js"

/** Rounds n up to a multiple of m. */
export const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m

/** Float offsets of one LSTM layer inside the padded flat parameter vector. */
export interface LayerLayout {
  readonly units: number
  readonly input: number
  /** Units padded to a multiple of 8; padded units carry exact zeros forever. */
  readonly up: number
  /** Inputs padded: features to a multiple of 4, lower layer's padded units otherwise. */
  readonly inp: number
  readonly kernel: number
  readonly recurrent: number
  readonly bias: number
}

/**
 * The padded parameter layout of the wasm engine. Each layer holds kernel [inp, 4up],
 * recurrent [up, 4up], bias [4up] with gate g's unit j at column g*up + j; then the head
 * kernel [up_top, outputs] and bias [outputs]. Padding is exact: padded weights start at 0,
 * their gradients are 0, so they stay 0 under every optimizer.
 */
export interface ParamLayout {
  readonly layers: ReadonlyArray<LayerLayout>
  readonly denseKernel: number
  readonly denseBias: number
  readonly topUp: number
  readonly size: number
}

/** Computes the padded layout of a spec. */
export const paramLayout = (spec: ModelSpec): ParamLayout => {
  const layers: Array<LayerLayout> = []
  let off = 0
  let input = spec.features
  let inp = roundUp(spec.features, 4)
  for (const u of spec.units) {
    const up = roundUp(u, 8)
    const kernel = off
    off += inp * 4 * up
    const recurrent = off
    off += up * 4 * up
    const bias = off
    off += 4 * up
    layers.push({ units: u, input, up, inp, kernel, recurrent, bias })
    input = u
    inp = up
  }
  const denseKernel = off
  off += inp * spec.outputs
  const denseBias = off
  off += spec.outputs
  return { layers, denseKernel, denseBias, topUp: inp, size: off }
}

/** Column of Keras gate column `c` (of 4*u) in the padded layout (of 4*up). */
const padCol = (c: number, u: number, up: number): number => Math.floor(c / u) * up + (c % u)

/** Copies Keras-layout tensors (in weightInfos order) into a padded flat vector. */
export const packParams = (spec: ModelSpec, tensors: ReadonlyArray<NamedTensor>, out: Float32Array): void => {
  const lay = paramLayout(spec)
  out.fill(0, 0, lay.size)
  const byName = new Map(tensors.map((t) => [t.name, t]))
  const get = (name: string, size: number): Float32Array => {
    const t = byName.get(name)
    if (t === undefined) throw new Error(`missing weight ${name}`)
    if (t.data.length !== size) throw new Error(`weight ${name} has ${t.data.length} values, expected ${size}`)
    return t.data
  }
  lay.layers.forEach((L, l) => {
    const k = get(`lstm_${l + 1}/kernel`, L.input * 4 * L.units)
    const r = get(`lstm_${l + 1}/recurrent_kernel`, L.units * 4 * L.units)
    const b = get(`lstm_${l + 1}/bias`, 4 * L.units)
    for (let c = 0; c < 4 * L.units; c++) {
      const pc = padCol(c, L.units, L.up)
      for (let i = 0; i < L.input; i++) out[L.kernel + i * 4 * L.up + pc] = k[i * 4 * L.units + c]!
      for (let i = 0; i < L.units; i++) out[L.recurrent + i * 4 * L.up + pc] = r[i * 4 * L.units + c]!
      out[L.bias + pc] = b[c]!
    }
  })
  const top = lay.layers[lay.layers.length - 1]!
  const dk = get("dense/kernel", top.units * spec.outputs)
  for (let i = 0; i < top.units; i++) {
    for (let o = 0; o < spec.outputs; o++) out[lay.denseKernel + i * spec.outputs + o] = dk[i * spec.outputs + o]!
  }
  out.set(get("dense/bias", spec.outputs), lay.denseBias)
}

/** Reads a padded flat vector back into Keras-layout tensors; `suffix` is appended to names. */
export const unpackParams = (spec: ModelSpec, flat: Float32Array, suffix = ""): Array<NamedTensor> => {
  const lay = paramLayout(spec)
  const out: Array<NamedTensor> = []
  lay.layers.forEach((L, l) => {
    const k = new Float32Array(L.input * 4 * L.units)
    const r = new Float32Array(L.units * 4 * L.units)
    const b = new Float32Array(4 * L.units)
    for (let c = 0; c < 4 * L.units; c++) {
      const pc = padCol(c, L.units, L.up)
      for (let i = 0; i < L.input; i++) k[i * 4 * L.units + c] = flat[L.kernel + i * 4 * L.up + pc]!
      for (let i = 0; i < L.units; i++) r[i * 4 * L.units + c] = flat[L.recurrent + i * 4 * L.up + pc]!
      b[c] = flat[L.bias + pc]!
    }
    out.push({ name: `lstm_${l + 1}/kernel${suffix}`, shape: [L.input, 4 * L.units], data: k })
    out.push({ name: `lstm_${l + 1}/recurrent_kernel${suffix}`, shape: [L.units, 4 * L.units], data: r })
    out.push({ name: `lstm_${l + 1}/bias${suffix}`, shape: [4 * L.units], data: b })
  })
  const top = lay.layers[lay.layers.length - 1]!
  const dk = new Float32Array(top.units * spec.outputs)
  for (let i = 0; i < top.units; i++) {
    for (let o = 0; o < spec.outputs; o++) dk[i * spec.outputs + o] = flat[lay.denseKernel + i * spec.outputs + o]!
  }
  out.push({ name: `dense/kernel${suffix}`, shape: [top.units, spec.outputs], data: dk })
  out.push({ name: `dense/bias${suffix}`, shape: [spec.outputs], data: flat.slice(lay.denseBias, lay.denseBias + spec.outputs) })
  return out
}

/** Checks a spec before any engine allocates for it. */
export const validateSpec = (spec: ModelSpec): string | null => {
  const posInt = (n: number): boolean => Number.isInteger(n) && n > 0
  if (!posInt(spec.features)) return `features must be a positive integer, got ${spec.features}`
  if (!posInt(spec.lookback)) return `lookback must be a positive integer, got ${spec.lookback}`
  if (!posInt(spec.outputs)) return `outputs must be a positive integer, got ${spec.outputs}`
  if (spec.units.length === 0) return "units must list at least one LSTM layer"
  if (!spec.units.every(posInt)) return `units must be positive integers, got [${spec.units.join(", ")}]`
  if (!(spec.dropout >= 0 && spec.dropout < 1)) return `dropout must be in [0, 1), got ${spec.dropout}`
  return null
}
