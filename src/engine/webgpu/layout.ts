import { weightInfos, type ModelSpec } from "../../model/spec.js"

/** Float offsets of one LSTM layer: its weights in the flat Keras-order vector, its activations per sample. */
export interface GpuLayer {
  readonly units: number
  readonly input: number
  /** kernel [input, 4u], recurrent_kernel [u, 4u], bias [4u] in the flat parameter vector. */
  readonly kernel: number
  readonly recurrent: number
  readonly bias: number
  /** Per-sample activation block: gates [T, 4u] (overwritten by their gradients in BPTT), c, h, out (h x dropout mask) [T, u]. */
  readonly gates: number
  readonly cell: number
  readonly hidden: number
  readonly out: number
}

/**
 * The GPU engine's memory layout. Parameters are one flat vector of the Keras tensors in
 * weightInfos order (no padding: getState is a plain copy). Activations are sample-major: sample
 * b's block starts at b * sampleFloats, so the layout does not depend on the batch capacity.
 */
export interface GpuLayout {
  readonly layers: ReadonlyArray<GpuLayer>
  readonly denseKernel: number
  readonly denseBias: number
  /** Number of parameters. */
  readonly size: number
  /** Two [T, widest] scratch regions per sample for the gradient flowing down between layers. */
  readonly down: readonly [number, number]
  readonly widest: number
  readonly sampleFloats: number
  /** Floats per sample of the head buffer: prediction, loss gradient and squared error per output. */
  readonly headFloats: number
}

/** Computes the GPU layout of a spec. */
export const gpuLayout = (spec: ModelSpec): GpuLayout => {
  const infos = weightInfos(spec)
  const offsets: Array<number> = []
  let off = 0
  for (const w of infos) {
    offsets.push(off)
    off += w.shape.reduce((a, b) => a * b, 1)
  }
  const T = spec.lookback
  let act = 0
  let input = spec.features
  const layers = spec.units.map((u, l): GpuLayer => {
    const layer = {
      units: u,
      input,
      kernel: offsets[3 * l]!,
      recurrent: offsets[3 * l + 1]!,
      bias: offsets[3 * l + 2]!,
      gates: act,
      cell: act + T * 4 * u,
      hidden: act + T * 5 * u,
      out: act + T * 6 * u
    }
    act += T * 7 * u
    input = u
    return layer
  })
  const widest = Math.max(spec.features, ...spec.units)
  const down: readonly [number, number] = [act, act + T * widest]
  act += 2 * T * widest
  return {
    layers,
    denseKernel: offsets[3 * spec.units.length]!,
    denseBias: offsets[3 * spec.units.length + 1]!,
    size: off,
    down,
    widest,
    sampleFloats: act,
    headFloats: 3 * spec.outputs
  }
}
