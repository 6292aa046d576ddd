import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { beforeAll } from "vitest"
import { makeEngine, type EngineOptions } from "../../src/engine/Engine.js"
import { weightInfos } from "../../src/model/spec.js"
import { f64, makeReferenceEngine } from "../../src/engine/reference.js"
import type { ModelSpec, NamedTensor } from "../../src/model/spec.js"
import { adam, byName, randomBatch, relDiff, requireDist, smallSpec } from "./helpers.js"

beforeAll(requireDist)

const gradsOf = (o: EngineOptions, batchSeed: number, size: number) =>
  Effect.gen(function* () {
    const engine = yield* makeEngine(o)
    const r = yield* engine.gradients(randomBatch(o.spec, size, batchSeed))
    return { name: engine.name, ...r }
  })

const oracle = async (spec: ModelSpec, seed: number, batchSeed: number, size: number) =>
  makeReferenceEngine(spec, adam, seed, f64).gradients(randomBatch(spec, size, batchSeed))

const expectClose = (got: ReadonlyArray<NamedTensor>, want: ReadonlyArray<NamedTensor>, spec: ModelSpec, tol: number, label: string) => {
  for (const { name } of weightInfos(spec)) {
    expect(relDiff(byName(got, name).data, byName(want, name).data), `${label} ${name}`).toBeLessThan(tol)
  }
}

describe("engines agree on loss and gradients", () => {
  for (const threads of [1, 2]) {
    it.scoped(`wasm-simd, ${threads} thread(s), vs float64 reference`, () =>
      Effect.gen(function* () {
        for (const spec of [smallSpec, { ...smallSpec, units: [16, 8], features: 4, lookback: 9 }, { ...smallSpec, dropout: 0.25 }]) {
          const want = yield* Effect.promise(() => oracle(spec, 3, 21, 7))
          const got = yield* gradsOf({ kind: "wasm", simd: "plain", spec, optimizer: adam, seed: 3, threads }, 21, 7)
          expect(got.name).toBe("wasm-simd")
          expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(1e-5)
          expectClose(got.grads, want.grads, spec, 1e-5, `${JSON.stringify(spec.units)} d=${spec.dropout}`)
        }
      }))
  }

  it.scoped("tfjs autodiff vs float64 reference and wasm", () =>
    Effect.gen(function* () {
      const spec = smallSpec
      const want = yield* Effect.promise(() => oracle(spec, 5, 8, 4))
      const tfjs = yield* gradsOf({ kind: "tfjs", spec, optimizer: adam, seed: 5, threads: 1 }, 8, 4)
      const wasm = yield* gradsOf({ kind: "wasm", simd: "plain", spec, optimizer: adam, seed: 5, threads: 1 }, 8, 4)
      expect(tfjs.name).toMatch(/^tfjs-/)
      expect(Math.abs(tfjs.loss - want.loss) / want.loss).toBeLessThan(1e-5)
      expectClose(tfjs.grads, want.grads, spec, 1e-5, "tfjs")
      expectClose(wasm.grads, tfjs.grads, spec, 1e-5, "wasm vs tfjs")
    }))
})
