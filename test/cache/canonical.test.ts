import { describe, expect, it } from "@effect/vitest"
import { canonicalJson, diffPaths, toPlain } from "../../src/cache/canonical.js"

describe("canonicalJson", () => {
  it("is independent of key order, including integer-like keys", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: "x" }, "10": 1, "2": 2 }))
      .toBe("{\"10\":1,\"2\":2,\"a\":{\"c\":\"x\",\"d\":[1,2]},\"b\":1}")
    expect(canonicalJson({ a: { c: "x", d: [1, 2] }, b: 1, "2": 2, "10": 1 }))
      .toBe(canonicalJson({ b: 1, a: { d: [1, 2], c: "x" }, "10": 1, "2": 2 }))
  })

  it("writes numbers stably and keeps values JSON would lose apart", () => {
    expect(canonicalJson({ x: 1.0, y: -0, z: 0.1 + 0.2 })).toBe("{\"x\":1,\"y\":0,\"z\":0.30000000000000004}")
    expect(canonicalJson(Number.NaN)).not.toBe(canonicalJson(null))
    expect(canonicalJson(Number.POSITIVE_INFINITY)).not.toBe(canonicalJson(Number.NEGATIVE_INFINITY))
    expect(canonicalJson({ a: undefined, b: 1 })).toBe("{\"b\":1}")
    expect(canonicalJson(new Float32Array([1, 2]))).toBe("[1,2]")
    expect(canonicalJson({ n: 10n })).toBe("{\"n\":{\"$bigint\":\"10\"}}")
  })

  it("refuses cycles and functions", () => {
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    expect(() => canonicalJson(cyclic)).toThrow(/cyclic/)
    expect(() => toPlain({ f: () => 1 })).toThrow(/function/)
  })
})

describe("diffPaths", () => {
  it("names each changed path with old and new values", () => {
    const before = { train: { epochs: 10, lr: 0.001 }, model: { units: [32] } }
    const after = { train: { epochs: 20, lr: 0.001, batch: 64 }, model: { units: [64, 32] } }
    expect(diffPaths(before, after)).toEqual([
      "model.units: [32] → [64,32]",
      "train.batch: (unset) → 64",
      "train.epochs: 10 → 20"
    ])
    expect(diffPaths({ units: [32, 16] }, { units: [32, 8] })).toEqual(["units[1]: 16 → 8"])
    expect(diffPaths(before, structuredClone(before))).toEqual([])
  })
})
