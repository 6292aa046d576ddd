import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeEngine } from "../../../src/engine/Engine.js"
import { weightInfos, type ModelSpec } from "../../../src/model/spec.js"
import type { EngineState, OptimizerSpec } from "../../../src/engine/types.js"
import { makeWebgpuEngine } from "../../../src/engine/webgpu/engine.js"
import { openGpu } from "../../../src/engine/webgpu/gpu.js"
import { kernelShape, workgroupBytes } from "../../../src/engine/webgpu/shaders.js"
import { adam, byName, randomBatch, relDiff, requireDist } from "../helpers.js"
import { checkAdapter } from "./adapter.js"

const gpu = await checkAdapter("webgpu engine training")

const spec: ModelSpec = { features: 3, lookback: 8, units: [12, 6], dropout: 0.2, outputs: 2 }
const optimizers: ReadonlyArray<OptimizerSpec> = [
  { ...adam, clipNorm: 0.5 },
  { ...adam, kind: "adamw", weightDecay: 0.05, clipNorm: 1 },
  { ...adam, kind: "sgd", momentum: 0.9, clipNorm: null }
]
const batches = [randomBatch(spec, 9, 1), randomBatch(spec, 9, 2), randomBatch(spec, 5, 3)]

const train = (kind: "webgpu" | "wasm", optimizer: OptimizerSpec, seed = 7) =>
  Effect.gen(function* () {
    const engine = yield* makeEngine({ kind, spec, optimizer, seed, threads: 1, simd: "plain" })
    const results = []
    for (const b of batches) results.push(yield* engine.step(b, 0.01))
    return { results, state: yield* engine.getState }
  })

const sameBits = (a: EngineState, b: EngineState): void => {
  expect(a.optimizerStep).toBe(b.optimizerStep)
  for (const t of [...a.weights, ...a.slots]) {
    const other = [...b.weights, ...b.slots].find((x) => x.name === t.name)
    expect(other, t.name).toBeDefined()
    expect(Buffer.from(other!.data.buffer, other!.data.byteOffset, other!.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), t.name).toBe(true)
  }
}

describe.skipIf(!gpu.ok)(`webgpu engine training on ${gpu.reason}`, () => {
  it.scoped("Adam, AdamW and SGD (with clipping) match the wasm engine over three steps", () =>
    Effect.gen(function* () {
      requireDist()
      for (const optimizer of optimizers) {
        const g = yield* train("webgpu", optimizer)
        const w = yield* train("wasm", optimizer)
        g.results.forEach((r, i) => {
          expect(Math.abs(r.loss - w.results[i]!.loss) / w.results[i]!.loss, `${optimizer.kind} loss ${i}`).toBeLessThan(1e-5)
          expect(Math.abs(r.gradNorm - w.results[i]!.gradNorm) / w.results[i]!.gradNorm, `${optimizer.kind} norm ${i}`).toBeLessThan(1e-5)
        })
        expect(g.state.optimizerStep).toBe(3)
        for (const { name } of weightInfos(spec)) {
          expect(relDiff(byName(g.state.weights, name).data, byName(w.state.weights, name).data), `${optimizer.kind} ${name}`).toBeLessThan(1e-5)
          expect(relDiff(byName(g.state.slots, `${name}/m`).data, byName(w.state.slots, `${name}/m`).data), `${optimizer.kind} ${name}/m`).toBeLessThan(1e-4)
        }
      }
    }), 120_000)

  it.scoped("counts the bytes of its GPU buffers as device memory in use (CPU engines hold none)", () =>
    Effect.gen(function* () {
      const engine = yield* makeEngine({ kind: "webgpu", spec, optimizer: optimizers[0]!, seed: 7, threads: 1 })
      const params = weightInfos(spec).reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0)
      const before = yield* engine.deviceMemoryBytes
      // at least the weights, the gradients and two Adam slots, as float32
      expect(before).toBeGreaterThanOrEqual(4 * params * 4)
      yield* engine.step(batches[0]!, 0.01)
      expect(yield* engine.deviceMemoryBytes).toBeGreaterThanOrEqual(before!)
      const wasm = yield* makeEngine({ kind: "wasm", spec, optimizer: optimizers[0]!, seed: 7, threads: 1, simd: "plain" })
      expect(yield* wasm.deviceMemoryBytes).toBeNull()
    }), 120_000)

  it.scoped("the same seed gives bit-identical weights and slots run to run", () =>
    Effect.gen(function* () {
      const a = yield* train("webgpu", optimizers[0]!)
      const b = yield* train("webgpu", optimizers[0]!)
      expect(a.results).toEqual(b.results)
      sameBits(a.state, b.state)
    }), 120_000)

  it.scoped("setState continues bit-identically to an uninterrupted engine", () =>
    Effect.gen(function* () {
      const whole = yield* train("webgpu", optimizers[1]!)
      const first = yield* makeEngine({ kind: "webgpu", spec, optimizer: optimizers[1]!, seed: 7, threads: 1 })
      yield* first.step(batches[0]!, 0.01)
      const saved = yield* first.getState
      const second = yield* makeEngine({ kind: "webgpu", spec, optimizer: optimizers[1]!, seed: 7, threads: 1 })
      yield* second.setState(saved)
      yield* second.step(batches[1]!, 0.01)
      yield* second.step(batches[2]!, 0.01)
      sameBits(yield* second.getState, whole.state)
    }), 120_000)

  it("a destroyed device fails the next step with a clear device-lost error", async () => {
    const opened = await openGpu("any", workgroupBytes(kernelShape(spec)))
    const engine = await makeWebgpuEngine({ spec, optimizer: adam, seed: 1, gpu: opened })
    try {
      await engine.step(batches[0]!, 0.01)
      opened.device.destroy()
      await expect(engine.step(batches[1]!, 0.01)).rejects.toThrow(/GPU device was lost/)
      await expect(Promise.resolve().then(() => engine.getState())).rejects.toThrow(/GPU device was lost/)
    } finally {
      await engine.close()
    }
  }, 120_000)
})
