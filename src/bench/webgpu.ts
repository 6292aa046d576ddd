import { Effect } from "effect"
import { makeEngine } from "../engine/Engine.js"
import { Rng } from "../random/Rng.js"
import type { Batch, OptimizerSpec } from "../engine/types.js"
import type { ModelSpec } from "../model/spec.js"
import { DISPATCHES_PER_STEP } from "../engine/webgpu/engine.js"

/** What `npm run bench -- --device webgpu` measures: the reference shape at several batch sizes. */
export interface WebgpuBenchOptions {
  readonly batches: ReadonlyArray<number>
  readonly steps: number
  readonly warmup: number
  readonly seq: number
  readonly hidden: number
  readonly layers: number
  readonly features: number
}

const adam: OptimizerSpec = { kind: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, momentum: 0, clipNorm: 1 }

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const randomBatch = (size: number, seq: number, features: number): Batch => {
  const rng = new Rng(1)
  return { x: new Float32Array(size * seq * features).map(() => rng.normal()), y: new Float32Array(size).map(() => rng.normal()), size }
}

/**
 * The fused WGSL engine's training speed, one JSON line per batch size in the CPU bench's format
 * (impl names the engine and adapter), with the kernel launches per step. A step here is the
 * engine's full step: upload the batch, one submit, read back loss and norm.
 */
export const webgpuBench = (o: WebgpuBenchOptions) =>
  Effect.gen(function* () {
    const spec: ModelSpec = { features: o.features, lookback: o.seq, units: Array.from({ length: o.layers }, () => o.hidden), dropout: 0, outputs: 1 }
    const { openGpu } = yield* Effect.promise(() => import("../engine/webgpu/gpu.js"))
    const probe = yield* Effect.tryPromise(() => openGpu("any", 0))
    const adapter = `${probe.adapter.description || probe.adapter.device}${probe.software === null ? "" : " (software)"}`
    probe.device.destroy()
    for (const size of o.batches) {
      const batch = randomBatch(size, o.seq, o.features)
      const times = yield* Effect.scoped(Effect.gen(function* () {
        const engine = yield* makeEngine({ kind: "webgpu", spec, optimizer: adam, seed: 1, threads: 1 })
        for (let i = 0; i < o.warmup; i++) yield* engine.step(batch, 1e-3)
        const out: Array<number> = []
        for (let i = 0; i < o.steps; i++) {
          const t0 = performance.now()
          yield* engine.step(batch, 1e-3)
          out.push(performance.now() - t0)
        }
        return out
      }))
      const ms = median(times)
      console.log(JSON.stringify({
        impl: "webgpu", threads: 1, seq: o.seq, hidden: o.hidden, batch: size, features: o.features, layers: o.layers,
        ms_per_step_median: Math.round(ms * 1000) / 1000,
        samples_per_s: Math.round((size * 1000 * 10) / ms) / 10,
        dispatches_per_step: DISPATCHES_PER_STEP,
        submits_per_step: 1,
        adapter
      }))
    }
  })
