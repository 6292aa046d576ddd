import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { beforeAll } from "vitest"
import { makeEngine } from "../../src/engine/Engine.js"
import { initialWeights } from "../../src/engine/init.js"
import { packParams, paramLayout, unpackParams } from "../../src/engine/params.js"
import { weightInfos } from "../../src/model/spec.js"
import { loadLayersModel, saveLayersModel } from "../../src/model/export.js"
import { buildKerasModel, getKerasWeights, loadTf, setKerasWeights } from "../../src/model/keras.js"
import { adam, byName, randomBatch, requireDist, smallSpec } from "./helpers.js"

beforeAll(requireDist)

describe("Keras layout", () => {
  it("padded engine layout round-trips every tensor exactly", () => {
    const spec = { ...smallSpec, units: [5, 12, 3] }
    const w = initialWeights(spec, 4)
    const flat = new Float32Array(paramLayout(spec).size)
    packParams(spec, w, flat)
    const back = unpackParams(spec, flat)
    expect(back.map((t) => t.name)).toEqual(weightInfos(spec).map((i) => i.name))
    for (const t of w) expect(byName(back, t.name).data).toEqual(t.data)
  })

  it("init follows Keras: unit forget bias, orthonormal recurrent rows, glorot range", () => {
    const spec = smallSpec
    const w = initialWeights(spec, 1)
    expect(Array.from(byName(w, "lstm_1/bias").data)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    const r = byName(w, "lstm_1/recurrent_kernel").data
    const u = 5
    for (let a = 0; a < u; a++) {
      for (let b = 0; b < u; b++) {
        let dot = 0
        for (let j = 0; j < 4 * u; j++) dot += r[a * 4 * u + j]! * r[b * 4 * u + j]!
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 5)
      }
    }
    const k = byName(w, "lstm_2/kernel").data
    const limit = Math.sqrt(6 / (5 + 16))
    expect(Math.max(...Array.from(k, Math.abs))).toBeLessThanOrEqual(limit)
    expect(Math.max(...Array.from(k, Math.abs))).toBeGreaterThan(limit * 0.8)
    expect(initialWeights(spec, 1)).toEqual(w)
    expect(byName(initialWeights(spec, 2), "lstm_1/kernel").data).not.toEqual(byName(w, "lstm_1/kernel").data)
  })

  it("tfjs model takes and gives back the same named tensors", async () => {
    const tf = await loadTf()
    const spec = { ...smallSpec, dropout: 0.2 }
    const model = buildKerasModel(tf, spec)
    const w = initialWeights(spec, 9)
    setKerasWeights(tf, model, spec, w)
    const back = await getKerasWeights(model, spec)
    for (const t of w) expect(byName(back, t.name).data).toEqual(t.data)
    expect(model.layers.map((l) => l.name)).toEqual(["lstm_1", "dropout_1", "lstm_2", "dropout_2", "dense"])
    model.dispose()
  })
})

describe("export", () => {
  it.scoped("a saved model, loaded with tf.loadLayersModel, predicts what the engine predicts", () =>
    Effect.gen(function* () {
      const tf = yield* Effect.promise(loadTf)
      const spec = { ...smallSpec, dropout: 0.1 }
      const engine = yield* makeEngine({ kind: "wasm", simd: "plain", spec, optimizer: adam, seed: 2, threads: 1 })
      for (let i = 0; i < 3; i++) yield* engine.step(randomBatch(spec, 8, i), 0.01)
      const state = yield* engine.getState
      const x = randomBatch(spec, 37, 99).x
      const want = yield* engine.predict(x, 37)
      const dir = mkdtempSync(join(tmpdir(), "lstm-export-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const model = buildKerasModel(tf, spec)
      setKerasWeights(tf, model, spec, state.weights)
      yield* Effect.promise(() => saveLayersModel(model, dir))
      model.dispose()
      expect(readdirSync(dir).sort()).toEqual(["model.json", "weights.bin"])
      const loaded = yield* Effect.promise(() => loadLayersModel(tf, dir))
      const out = loaded.predict(tf.tensor3d(x, [37, spec.lookback, spec.features]))
      if (Array.isArray(out)) throw new Error("one output expected")
      const got = out.dataSync()
      let maxDiff = 0
      for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!))
      expect(got.length).toBe(want.length)
      expect(maxDiff).toBeLessThan(1e-5)
      expect(Math.max(...Array.from(want, Math.abs))).toBeGreaterThan(1e-3)
      out.dispose()
      loaded.dispose()
    }))
})
