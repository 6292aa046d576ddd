import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { beforeAll } from "vitest"
import { makeEngine, type EngineOptions } from "../../src/engine/Engine.js"
import { initialWeights } from "../../src/engine/init.js"
import { weightInfos } from "../../src/model/spec.js"
import type { EngineState } from "../../src/engine/types.js"
import { buildKerasModel, getKerasWeights, loadTf, setKerasWeights } from "../../src/model/keras.js"
import { adam, byName, randomBatch, relDiff, requireDist, smallSpec } from "./helpers.js"

beforeAll(requireDist)

const train = (o: EngineOptions, sizes: ReadonlyArray<number>, lr: number) =>
  Effect.scoped(Effect.gen(function* () {
    const engine = yield* makeEngine(o)
    const losses: Array<number> = []
    for (const [i, size] of sizes.entries()) losses.push((yield* engine.step(randomBatch(o.spec, size, 100 + i), lr)).loss)
    return { state: yield* engine.getState, losses }
  }))

const sameBits = (a: EngineState, b: EngineState): boolean =>
  a.weights.every((t, i) => Buffer.compare(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength), Buffer.from(b.weights[i]!.data.buffer, b.weights[i]!.data.byteOffset, b.weights[i]!.data.byteLength)) === 0)

describe("training", () => {
  const spec = { ...smallSpec, units: [8, 8], dropout: 0.2 }
  const sizes = [9, 9, 9, 5]
  for (const threads of [1, 2]) {
    it.effect(`same seed and ${threads} thread(s) give bit-identical weights`, () =>
      Effect.gen(function* () {
        const o: EngineOptions = { kind: "wasm", simd: "plain", spec, optimizer: { ...adam, clipNorm: 1 }, seed: 5, threads }
        const a = yield* train(o, sizes, 0.01)
        const b = yield* train(o, sizes, 0.01)
        expect(sameBits(a.state, b.state)).toBe(true)
        expect(a.state.optimizerStep).toBe(4)
        const c = yield* train({ ...o, seed: 6 }, sizes, 0.01)
        expect(sameBits(a.state, c.state)).toBe(false)
      }))
  }

  it.effect("threads 1 and 2 train the same model up to float rounding (masks do not depend on threads)", () =>
    Effect.gen(function* () {
      const o: EngineOptions = { kind: "wasm", simd: "plain", spec, optimizer: adam, seed: 5, threads: 1 }
      const a = yield* train(o, sizes, 0.01)
      const b = yield* train({ ...o, threads: 2 }, sizes, 0.01)
      for (const t of a.state.weights) expect(relDiff(byName(b.state.weights, t.name).data, t.data)).toBeLessThan(1e-4)
    }))

  it.effect("wasm, reference and tfjs optimizers agree (adam, adamw, sgd with momentum, clipping)", () =>
    Effect.gen(function* () {
      const s = { ...smallSpec }
      for (const optimizer of [{ ...adam, clipNorm: 0.5 }, { ...adam, kind: "adamw" as const, weightDecay: 0.1 }, { ...adam, kind: "sgd" as const, momentum: 0.9 }]) {
        const runs = yield* Effect.all((["wasm", "reference", "tfjs"] as const).map((kind) => train({ kind, simd: "plain", spec: s, optimizer, seed: 3, threads: 1 }, [6, 6, 6], 0.05)))
        const [w, r, t] = runs
        for (const info of weightInfos(s)) {
          expect(relDiff(byName(w!.state.weights, info.name).data, byName(r!.state.weights, info.name).data), `${optimizer.kind} ${info.name}`).toBeLessThan(1e-5)
          expect(relDiff(byName(t!.state.weights, info.name).data, byName(r!.state.weights, info.name).data), `${optimizer.kind} ${info.name}`).toBeLessThan(1e-5)
        }
        expect(Math.abs(w!.losses[2]! - r!.losses[2]!) / r!.losses[2]!).toBeLessThan(1e-5)
      }
    }))

  it.effect("Adam after 5 steps matches tf.train.adam on tfjs autodiff gradients", () =>
    Effect.gen(function* () {
      const tf = yield* Effect.promise(loadTf)
      const spec = smallSpec
      const lr = 0.01
      const engine = yield* train({ kind: "wasm", simd: "plain", spec, optimizer: adam, seed: 8, threads: 2 }, [6, 6, 6, 6, 6], lr)
      const model = buildKerasModel(tf, spec)
      setKerasWeights(tf, model, spec, initialWeights(spec, 8))
      const opt = tf.train.adam(lr, adam.beta1, adam.beta2, adam.epsilon)
      const vars = model.trainableWeights.map((v) => {
        const t = v.read()
        if (!(t instanceof tf.Variable)) throw new Error("not a variable")
        return t
      })
      for (let i = 0; i < 5; i++) {
        const b = randomBatch(spec, 6, 100 + i)
        tf.tidy(() => {
          const x = tf.tensor3d(b.x, [6, spec.lookback, spec.features])
          const y = tf.tensor2d(b.y, [6, spec.outputs])
          opt.minimize(() => {
            const p = model.apply(x, { training: true })
            if (Array.isArray(p) || !(p instanceof tf.Tensor)) throw new Error("one output expected")
            return tf.mean(tf.square(tf.sub(p, y)))
          }, false, vars)
        })
      }
      const want = (yield* Effect.promise(() => getKerasWeights(model, spec)))
      const init = initialWeights(spec, 8)
      for (const t of want) {
        const got = byName(engine.state.weights, t.name).data
        const start = byName(init, t.name).data
        // compare the distance travelled, not only the end point
        expect(relDiff(got.map((v, i) => v - start[i]!), t.data.map((v, i) => v - start[i]!)), t.name).toBeLessThan(1e-3)
      }
      opt.dispose()
      model.dispose()
    }))

  it.effect("state round-trips: continuing from getState equals continuing in place", () =>
    Effect.gen(function* () {
      const o: EngineOptions = { kind: "wasm", simd: "plain", spec, optimizer: adam, seed: 4, threads: 1 }
      const straight = yield* train(o, [7, 7, 7, 7], 0.01)
      const resumed = yield* Effect.scoped(Effect.gen(function* () {
        const first = yield* makeEngine(o)
        for (let i = 0; i < 2; i++) yield* first.step(randomBatch(spec, 7, 100 + i), 0.01)
        const saved = yield* first.getState
        const second = yield* makeEngine(o) // the seed is config (dropout masks); the state holds only the step
        yield* second.setState(saved)
        for (let i = 2; i < 4; i++) yield* second.step(randomBatch(spec, 7, 100 + i), 0.01)
        return yield* second.getState
      }))
      expect(resumed.optimizerStep).toBe(4)
      expect(sameBits(straight.state, resumed)).toBe(true)
    }))

  it.effect("rejects a bad spec and a batch of the wrong shape with EngineError", () =>
    Effect.gen(function* () {
      const bad = yield* Effect.scoped(makeEngine({ kind: "wasm", spec: { ...smallSpec, units: [] }, optimizer: adam, seed: 1, threads: 1 })).pipe(Effect.flip)
      expect(bad._tag).toBe("EngineError")
      expect(bad.reason).toContain("units")
      const err = yield* Effect.scoped(Effect.gen(function* () {
        const e = yield* makeEngine({ kind: "wasm", simd: "plain", spec: smallSpec, optimizer: adam, seed: 1, threads: 2 })
        return yield* e.step({ x: new Float32Array(5), y: new Float32Array(2), size: 1 }, 0.1)
      })).pipe(Effect.flip)
      expect(err.reason).toContain("batch x")
    }))
})
