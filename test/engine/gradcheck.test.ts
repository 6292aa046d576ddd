import { describe, expect, it } from "vitest"
import { initialWeights } from "../../src/engine/init.js"
import { f64, ReferenceModel } from "../../src/engine/reference.js"
import { weightInfos } from "../../src/model/spec.js"
import { randomBatch, smallSpec } from "./helpers.js"

describe("reference engine", () => {
  it("matches central finite differences in float64 for every parameter", () => {
    const spec = smallSpec
    const model = new ReferenceModel(spec, f64)
    model.setWeights(initialWeights(spec, 7))
    // non-trivial biases so every gate's gradient path is exercised
    model.weights.forEach((w, i) => {
      if (weightInfos(spec)[i]!.name.endsWith("bias")) for (let j = 0; j < w.length; j++) w[j] = w[j]! + 0.1 * Math.sin(j + i)
    })
    const batch = randomBatch(spec, 3, 11)
    const opt = { training: true, step: 0, seed: 1 }
    const grads = model.weights.map((w) => f64(w.length))
    model.pass(batch.x, batch.y, 3, opt, grads, null)
    const h = 1e-6
    let checked = 0
    model.weights.forEach((w, p) => {
      for (let i = 0; i < w.length; i++) {
        const keep = w[i]!
        w[i] = keep + h
        const up = model.pass(batch.x, batch.y, 3, opt, null, null)
        w[i] = keep - h
        const down = model.pass(batch.x, batch.y, 3, opt, null, null)
        w[i] = keep
        const numeric = (up - down) / (2 * h)
        const analytic = grads[p]![i]!
        expect(Math.abs(numeric - analytic), `${weightInfos(spec)[p]!.name}[${i}]`).toBeLessThan(1e-7 + 1e-5 * Math.abs(analytic))
        checked++
      }
    })
    expect(checked).toBe(model.weights.reduce((a, w) => a + w.length, 0))
  })

  it("gradient checks with dropout masks too (masks are fixed by seed and step)", () => {
    const spec = { ...smallSpec, dropout: 0.3 }
    const model = new ReferenceModel(spec, f64)
    model.setWeights(initialWeights(spec, 3))
    const batch = randomBatch(spec, 3, 5)
    const opt = { training: true, step: 4, seed: 9 }
    const grads = model.weights.map((w) => f64(w.length))
    model.pass(batch.x, batch.y, 3, opt, grads, null)
    const h = 1e-6
    model.weights.forEach((w, p) => {
      for (let i = 0; i < w.length; i += 3) {
        const keep = w[i]!
        w[i] = keep + h
        const up = model.pass(batch.x, batch.y, 3, opt, null, null)
        w[i] = keep - h
        const down = model.pass(batch.x, batch.y, 3, opt, null, null)
        w[i] = keep
        expect(Math.abs((up - down) / (2 * h) - grads[p]![i]!)).toBeLessThan(1e-7 + 1e-5 * Math.abs(grads[p]![i]!))
      }
    })
  })
})
