import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeEngine } from "../../../src/engine/Engine.js"
import { weightInfos, type ModelSpec } from "../../../src/model/spec.js"
import { f64, makeReferenceEngine } from "../../../src/engine/reference.js"
import { adam, byName, randomBatch, relDiff } from "../helpers.js"
import { checkAdapter } from "./adapter.js"

const gpu = await checkAdapter("webgpu engine numerics")

// T <= 16, H <= 24, odd batch sizes, 1-3 layers, dropout on and off
const cases: ReadonlyArray<{ spec: ModelSpec; batch: number }> = [
  { spec: { features: 3, lookback: 5, units: [6, 4], dropout: 0.3, outputs: 2 }, batch: 7 },
  { spec: { features: 2, lookback: 16, units: [24], dropout: 0, outputs: 3 }, batch: 5 },
  { spec: { features: 1, lookback: 4, units: [3, 5, 2], dropout: 0.2, outputs: 1 }, batch: 9 },
  { spec: { features: 4, lookback: 9, units: [16, 8], dropout: 0, outputs: 2 }, batch: 3 },
  { spec: { features: 5, lookback: 12, units: [24, 24, 24], dropout: 0.25, outputs: 1 }, batch: 11 },
  { spec: { features: 2, lookback: 1, units: [4], dropout: 0, outputs: 1 }, batch: 1 }
]

describe.skipIf(!gpu.ok)(`webgpu engine vs the float64 reference on ${gpu.reason}`, () => {
  it.scoped("loss, every gradient and predictions within 1e-5 normwise", () =>
    Effect.gen(function* () {
      for (const { spec, batch: size } of cases) {
        const label = `${JSON.stringify(spec.units)} T=${spec.lookback} d=${spec.dropout} B=${size}`
        const batch = randomBatch(spec, size, 21)
        const ref = makeReferenceEngine(spec, adam, 3, f64)
        const want = yield* Effect.promise(() => ref.gradients(batch))
        const engine = yield* makeEngine({ kind: "webgpu", spec, optimizer: adam, seed: 3, threads: 1 })
        expect(engine.name).toBe("webgpu")
        const got = yield* engine.gradients(batch)
        expect(Math.abs(got.loss - want.loss) / want.loss, `${label} loss`).toBeLessThan(1e-5)
        for (const { name } of weightInfos(spec)) {
          expect(relDiff(byName(got.grads, name).data, byName(want.grads, name).data), `${label} ${name}`).toBeLessThan(1e-5)
        }
        const pred = yield* engine.predict(batch.x, size)
        const wantPred = yield* Effect.promise(() => ref.predict(batch.x, size))
        expect(relDiff(pred, wantPred), `${label} predict`).toBeLessThan(1e-5)
      }
    }), 120_000)

  it.scoped("predict in several chunks matches one batch", () =>
    Effect.gen(function* () {
      const spec = cases[1]!.spec
      const engine = yield* makeEngine({ kind: "webgpu", spec, optimizer: adam, seed: 4, threads: 1 })
      const big = randomBatch(spec, 601, 2)
      const all = yield* engine.predict(big.x, big.size)
      const ref = yield* Effect.promise(() => makeReferenceEngine(spec, adam, 4, f64).predict(big.x, big.size))
      expect(all.length).toBe(601 * spec.outputs)
      expect(relDiff(all, ref)).toBeLessThan(1e-5)
    }), 120_000)
})
