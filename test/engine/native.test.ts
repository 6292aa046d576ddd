import { execFileSync } from "node:child_process"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { build } from "esbuild"
import { makeEngine, type EngineOptions, type TrainEngine } from "../../src/engine/Engine.js"
import { packageRoot } from "../../src/engine/paths.js"
import { f64, makeReferenceEngine } from "../../src/engine/reference.js"
import { Rng } from "../../src/random/Rng.js"
import type { EngineState } from "../../src/engine/types.js"
import { weightInfos, type ModelSpec, type NamedTensor } from "../../src/model/spec.js"
import { adam, byName, randomBatch, relDiff, smallSpec } from "./helpers.js"
import { nativeIsas, nativeMissing, nativeRequired } from "./nativeSupport.js"

const sameBits = (a: ReadonlyArray<NamedTensor>, b: ReadonlyArray<NamedTensor>): boolean =>
  a.length === b.length && a.every((t, i) => t.name === b[i]!.name && t.data.every((v, j) => Object.is(v, b[i]!.data[j])))

const sameState = (a: EngineState, b: EngineState): boolean =>
  a.optimizerStep === b.optimizerStep && sameBits(a.weights, b.weights) && sameBits(a.slots, b.slots)

const trainSteps = (engine: TrainEngine, spec: ModelSpec, steps: number, from = 0) =>
  Effect.gen(function* () {
    const trace: Array<number> = []
    for (let s = from; s < from + steps; s++) {
      const r = yield* engine.step(randomBatch(spec, 11, 200 + s), 0.01)
      trace.push(r.loss, r.gradNorm)
    }
    return trace
  })

describe("native engine availability", () => {
  it("is built and loads where CI requires it", () => {
    if (nativeRequired) expect(nativeMissing).toBeNull()
  })
})

describe.skipIf(nativeMissing !== null)("native engine", () => {
  const dropoutSpec: ModelSpec = { features: 4, lookback: 9, units: [16, 24], dropout: 0.25, outputs: 2 }
  const wideSpec: ModelSpec = { features: 1203, lookback: 20, units: [16], dropout: 0, outputs: 1 }

  for (const isa of nativeIsas) {
    for (const threads of [1, 2]) {
      it.scoped(`native-${isa}, ${threads} thread(s): loss and gradients match the float64 reference`, () =>
        Effect.gen(function* () {
          // wideSpec: inputs + units past 1016 over a full 128-row block of the A^T B kernel (many one-hot series)
          for (const spec of [smallSpec, dropoutSpec, { ...smallSpec, units: [40], lookback: 3 }, wideSpec]) {
            const batch = randomBatch(spec, 7, 21)
            const want = yield* Effect.promise(() => makeReferenceEngine(spec, adam, 3, f64).gradients(batch))
            const engine = yield* makeEngine({ kind: "native", isa, spec, optimizer: adam, seed: 3, threads })
            expect(engine.name).toBe(`native-${isa}`)
            const got = yield* engine.gradients(batch)
            expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(1e-5)
            for (const { name } of weightInfos(spec)) {
              expect(relDiff(byName(got.grads, name).data, byName(want.grads, name).data), `${JSON.stringify(spec.units)} ${name}`).toBeLessThan(1e-5)
            }
          }
        }))
    }
  }

  it.scoped("a directional finite difference of its own float32 loss matches its gradient", () =>
    Effect.gen(function* () {
      const spec = { ...smallSpec, units: [12, 8] }
      const batch = randomBatch(spec, 6, 3)
      const engine = yield* makeEngine({ kind: "native", spec, optimizer: adam, seed: 4, threads: 1 })
      const state = yield* engine.getState
      const { grads } = yield* engine.gradients(batch)
      const rng = new Rng(9)
      const dir = state.weights.map((t) => ({ ...t, data: t.data.map(() => rng.normal()) }))
      const shifted = (h: number): EngineState => ({ ...state, weights: state.weights.map((t, i) => ({ ...t, data: t.data.map((v, j) => v + h * dir[i]!.data[j]!) })) })
      const h = 1e-3
      yield* engine.setState(shifted(h))
      const up = (yield* engine.gradients(batch)).loss
      yield* engine.setState(shifted(-h))
      const down = (yield* engine.gradients(batch)).loss
      const numeric = (up - down) / (2 * h)
      const analytic = grads.reduce((s, g, i) => s + g.data.reduce((a, v, j) => a + v * dir[i]!.data[j]!, 0), 0)
      expect(Math.abs(numeric - analytic) / Math.abs(analytic)).toBeLessThan(2e-3)
    }))

  it("trains bit-identically to the relaxed-SIMD wasm engine on every instruction set and thread count", async () => {
    const root = packageRoot()
    if (root === null) throw new Error("package root not found")
    const outDir = join(root, "node_modules", ".cache", "lstm-engine-test")
    mkdirSync(outDir, { recursive: true })
    const outfile = join(outDir, "nativeBits.mjs")
    await build({ entryPoints: [join(root, "test/engine/fixtures/nativeBits.ts")], bundle: true, platform: "node", format: "esm", packages: "external", outfile, logLevel: "warning" })
    const out = execFileSync(process.execPath, ["--experimental-wasm-relaxed-simd", outfile], { encoding: "utf8", cwd: root })
    const parsed = JSON.parse(out.trim().split("\n").pop() ?? "") as { native: string; results: Array<Record<string, unknown>> }
    expect(parsed.native).toBe(nativeIsas[0])
    const controls = parsed.results.filter((r) => r["control"] === true)
    const checks = parsed.results.filter((r) => r["control"] !== true)
    expect(controls.length).toBe(9)
    // plain SIMD (no FMA) differs from relaxed SIMD, so the comparison can tell engines apart
    for (const c of controls) expect(c["state"], JSON.stringify(c)).toBe(false)
    expect(checks.length).toBe(9 * nativeIsas.length)
    for (const r of checks) expect(r, JSON.stringify(r)).toMatchObject({ trace: true, state: true, predict: true })
  })

  it.scoped.skipIf(nativeIsas.length < 2)("AVX-512 and AVX2 give the same bits", () =>
    Effect.gen(function* () {
      for (const threads of [1, 2]) {
        const states: Array<EngineState> = []
        for (const isa of nativeIsas) {
          const engine = yield* makeEngine({ kind: "native", isa, spec: dropoutSpec, optimizer: { ...adam, clipNorm: 0.5 }, seed: 8, threads })
          yield* trainSteps(engine, dropoutSpec, 3)
          states.push(yield* engine.getState)
        }
        expect(sameState(states[0]!, states[1]!)).toBe(true)
      }
    }))

  it.scoped("same seed and thread count give bit-identical weights; another seed does not", () =>
    Effect.gen(function* () {
      const run = (o: Partial<EngineOptions>) =>
        Effect.gen(function* () {
          const engine = yield* makeEngine({ kind: "native", spec: dropoutSpec, optimizer: adam, seed: 5, threads: 2, ...o })
          const trace = yield* trainSteps(engine, dropoutSpec, 3)
          return { trace, state: yield* engine.getState }
        })
      const a = yield* run({})
      const b = yield* run({})
      expect(sameState(a.state, b.state)).toBe(true)
      expect(a.trace).toEqual(b.trace)
      const c = yield* run({ seed: 6 })
      expect(sameState(a.state, c.state)).toBe(false)
      // another thread count sums in another order: the same model up to rounding
      const d = yield* run({ threads: 1 })
      for (const [i, t] of a.state.weights.entries()) expect(relDiff(t.data, d.state.weights[i]!.data)).toBeLessThan(1e-5)
    }))

  for (const kind of ["adam", "adamw", "sgd"] as const) {
    it.scoped(`getState / setState resume ${kind} exactly`, () =>
      Effect.gen(function* () {
        const optimizer = { ...adam, kind, weightDecay: kind === "adamw" ? 0.05 : 0, momentum: 0.9, clipNorm: 1 }
        const o: EngineOptions = { kind: "native", spec: dropoutSpec, optimizer, seed: 2, threads: 2 }
        const straight = yield* makeEngine(o)
        yield* trainSteps(straight, dropoutSpec, 5)
        const first = yield* makeEngine(o)
        yield* trainSteps(first, dropoutSpec, 2)
        const saved = yield* first.getState
        const resumed = yield* makeEngine({ ...o, seed: 99 })
        yield* resumed.setState(saved)
        expect(sameState(yield* resumed.getState, saved)).toBe(true)
        // the dropout masks follow the engine's seed, so the resumed engine must share it
        const again = yield* makeEngine(o)
        yield* again.setState(saved)
        yield* trainSteps(again, dropoutSpec, 3, 2)
        expect(sameState(yield* again.getState, yield* straight.getState)).toBe(true)
      }))
  }

  it.scoped("predicts like the float64 reference for any n, in chunks", () =>
    Effect.gen(function* () {
      const spec = { ...smallSpec, units: [16] }
      const engine = yield* makeEngine({ kind: "native", spec, optimizer: adam, seed: 1, threads: 2 })
      const ref = makeReferenceEngine(spec, adam, 1, f64)
      for (const n of [1, 300]) {
        const x = randomBatch(spec, n, 4).x
        const got = yield* engine.predict(x, n)
        expect(got.length).toBe(n * spec.outputs)
        expect(relDiff(got, yield* Effect.promise(() => ref.predict(x, n)))).toBeLessThan(1e-5)
      }
    }))

  it.scoped("bad input is an EngineError, not a crash", () =>
    Effect.gen(function* () {
      const engine = yield* makeEngine({ kind: "native", spec: smallSpec, optimizer: adam, seed: 1, threads: 1 })
      const short = { x: new Float32Array(3), y: new Float32Array(2), size: 4 }
      const exit = yield* Effect.exit(engine.step(short, 0.01))
      expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toMatch(/batch x has 3 values/)
      const predict = yield* Effect.exit(engine.predict(new Float32Array(5), 2))
      expect(Exit.isFailure(predict) && JSON.stringify(predict.cause)).toMatch(/floats, expected/)
      const badState = yield* Effect.exit(engine.setState({ weights: [], optimizerStep: 0, slots: [] }))
      expect(Exit.isFailure(badState) && JSON.stringify(badState.cause)).toMatch(/missing weight/)
    }))
})
