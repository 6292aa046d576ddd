import { describe, expect, it } from "@effect/vitest"
import { epochOrder } from "../../src/train/shuffle.js"

const isPermutation = (order: Uint32Array) => [...order].sort((a, b) => a - b).every((v, i) => v === i)

describe("epochOrder", () => {
  it("is a permutation that depends only on (seed, epoch), so a resume recomputes it", () => {
    const order = epochOrder(500, 42, 3, true)
    expect(isPermutation(order)).toBe(true)
    expect([...order]).toEqual([...epochOrder(500, 42, 3, true)])
    expect([...order]).not.toEqual([...epochOrder(500, 42, 4, true)])
    expect([...order]).not.toEqual([...epochOrder(500, 43, 3, true)])
    // actually shuffled: most windows move
    expect([...order].filter((v, i) => v !== i).length).toBeGreaterThan(450)
  })

  it("keeps file order when shuffling is off, and handles tiny splits", () => {
    expect([...epochOrder(5, 42, 1, false)]).toEqual([0, 1, 2, 3, 4])
    expect([...epochOrder(1, 42, 1, true)]).toEqual([0])
    expect([...epochOrder(0, 42, 1, true)]).toEqual([])
  })

  it("puts every window first about equally often across epochs", () => {
    const first = new Array<number>(4).fill(0)
    for (let epoch = 1; epoch <= 4000; epoch++) first[epochOrder(4, 7, epoch, true)[0]!]!++
    for (const c of first) expect(Math.abs(c - 1000)).toBeLessThan(120)
  })
})
