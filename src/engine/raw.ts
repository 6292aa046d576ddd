import type { Batch, EngineState, StepResult } from "./types.js"
import type { NamedTensor } from "../model/spec.js"

/** The Promise-level engine each implementation provides; Engine.ts wraps it in Effects. */
export interface RawEngine {
  readonly name: string
  readonly threads: number
  readonly step: (batch: Batch, lr: number) => Promise<StepResult>
  readonly predict: (x: Float32Array, n: number) => Promise<Float32Array>
  readonly gradients: (batch: Batch) => Promise<{ readonly loss: number; readonly grads: ReadonlyArray<NamedTensor> }>
  /** Asynchronous where reading the weights is (GPU backends). */
  readonly getState: () => EngineState | Promise<EngineState>
  readonly setState: (state: EngineState) => void
  /**
   * Bytes of device (GPU) memory the engine holds now, counted from its own allocations (WebGPU
   * has no query for device memory in use); absent for engines that compute in host memory.
   */
  readonly deviceMemoryBytes?: () => number
  readonly close: () => Promise<void>
}

/** Throws when a batch does not match the spec's shapes. */
export const checkBatch = (batch: Batch, lookback: number, features: number, outputs: number): void => {
  if (!Number.isInteger(batch.size) || batch.size < 1) throw new Error(`batch size must be a positive integer, got ${batch.size}`)
  if (batch.x.length < batch.size * lookback * features) {
    throw new Error(`batch x has ${batch.x.length} values, expected ${batch.size} x ${lookback} x ${features}`)
  }
  if (batch.y.length < batch.size * outputs) throw new Error(`batch y has ${batch.y.length} values, expected ${batch.size} x ${outputs}`)
}

/** Contiguous chunk boundaries of n samples over `parts` workers: chunk i is [b[i], b[i+1]). */
export const chunkBounds = (n: number, parts: number): Array<number> => {
  const p = Math.max(1, Math.min(parts, n))
  return Array.from({ length: p + 1 }, (_, i) => Math.floor((i * n) / p))
}
