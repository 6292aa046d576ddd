import { seedWords } from "./dropout.js"
import { initialWeights } from "./init.js"
import { weightInfos, type ModelSpec, type NamedTensor } from "../model/spec.js"
import { packParams, paramLayout, unpackParams } from "./params.js"
import { checkBatch, type RawEngine } from "./raw.js"
import type { Batch, EngineState, OptimizerSpec, StepResult } from "./types.js"
import { NativeBuffer, type NativeAddon, type NativeIsa, type NativeLayout } from "./nativeAddon.js"

/** What the native engine needs to start. */
export interface NativeEngineConfig {
  readonly addon: NativeAddon
  readonly isa: NativeIsa
  readonly spec: ModelSpec
  readonly optimizer: OptimizerSpec
  readonly seed: number
  readonly threads: number
}

const layoutOf = (spec: ModelSpec): NativeLayout => {
  const lay = paramLayout(spec)
  return {
    features: spec.features,
    lookback: spec.lookback,
    outputs: spec.outputs,
    dropout: spec.dropout,
    layers: lay.layers.map((l) => ({ units: l.units, input: l.input, up: l.up, inp: l.inp, kernel: l.kernel, recurrent: l.recurrent, bias: l.bias })),
    denseKernel: lay.denseKernel,
    denseBias: lay.denseBias,
    size: lay.size,
    topUp: lay.topUp
  }
}

/**
 * The native engine (src/engine/native/): the wasm engine's math and parameter layout in C++
 * with AVX-512 or AVX2 kernels. The batch is split into `threads` contiguous chunks that run
 * on native threads inside the addon; chunk gradients are summed in chunk order, so a run is
 * bit-deterministic for a seed and thread count, and the same on either instruction set.
 */
export const makeNativeEngine = (cfg: NativeEngineConfig): RawEngine => {
  const { addon, spec, optimizer } = cfg
  const layout = layoutOf(spec)
  const P = layout.size
  const h = addon.create(layout, cfg.threads, cfg.isa)
  let closed = false
  const flat = new Float32Array(P)
  packParams(spec, initialWeights(spec, cfg.seed), flat)
  addon.copy(h, NativeBuffer.params, flat, true)
  const [seedLo, seedHi] = seedWords(cfg.seed)
  let optimizerStep = 0

  const read = (which: number): Float32Array => {
    const out = new Float32Array(P)
    addon.copy(h, which, out, false)
    return out
  }

  const forwardBackward = (batch: Batch): number => {
    checkBatch(batch, spec.lookback, spec.features, spec.outputs)
    const sse = addon.forwardBackward(h, batch.x, batch.y, batch.size, optimizerStep, seedLo, seedHi)
    return sse / (batch.size * spec.outputs)
  }

  const step = async (batch: Batch, lr: number): Promise<StepResult> => {
    const loss = forwardBackward(batch)
    const gradNorm = Math.sqrt(addon.sumSquares(h))
    optimizerStep += 1
    const clip = optimizer.clipNorm !== null && gradNorm > optimizer.clipNorm ? optimizer.clipNorm / gradNorm : 0
    // bias corrections in f64 here, exactly as WasmCore.update computes them
    const lrHat = lr / (1 - Math.pow(optimizer.beta1, optimizerStep))
    const c2 = 1 / (1 - Math.pow(optimizer.beta2, optimizerStep))
    const decay = optimizer.kind === "adamw" ? lr * optimizer.weightDecay : 0
    addon.update(h, optimizer.kind === "sgd", clip, lr, lrHat, c2, optimizer.beta1, optimizer.beta2, optimizer.epsilon, decay, optimizer.momentum)
    return { loss, gradNorm }
  }

  const getState = (): EngineState => {
    const m = read(NativeBuffer.slotM)
    const v = read(NativeBuffer.slotV)
    return {
      weights: unpackParams(spec, read(NativeBuffer.params)),
      optimizerStep,
      slots: optimizer.kind === "sgd" ? unpackParams(spec, m, "/m") : [...unpackParams(spec, m, "/m"), ...unpackParams(spec, v, "/v")]
    }
  }

  const setState = (state: EngineState): void => {
    const w = new Float32Array(P)
    packParams(spec, state.weights, w)
    const byName = new Map(state.slots.map((s) => [s.name, s]))
    const slot = (suffix: string): Float32Array => {
      const out = new Float32Array(P)
      const tensors = weightInfos(spec).map(({ name, shape }) => ({
        name,
        shape,
        data: byName.get(`${name}${suffix}`)?.data ?? new Float32Array(shape.reduce((a, b) => a * b, 1))
      }))
      packParams(spec, tensors, out)
      return out
    }
    const m = slot("/m")
    const v = slot("/v")
    addon.copy(h, NativeBuffer.params, w, true)
    addon.copy(h, NativeBuffer.slotM, m, true)
    addon.copy(h, NativeBuffer.slotV, v, true)
    optimizerStep = state.optimizerStep
  }

  return {
    name: `native-${cfg.isa}`,
    threads: cfg.threads,
    step,
    predict: async (x, n) => {
      const out = new Float32Array(n * spec.outputs)
      addon.predict(h, x, n, out)
      return out
    },
    gradients: async (batch): Promise<{ loss: number; grads: ReadonlyArray<NamedTensor> }> => {
      const loss = forwardBackward(batch)
      return { loss, grads: unpackParams(spec, read(NativeBuffer.grads)) }
    },
    getState,
    setState,
    close: async () => {
      if (closed) return
      closed = true
      addon.close(h)
    }
  }
}
