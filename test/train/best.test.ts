import { describe, expect, it } from "@effect/vitest"
import { improves, trackBest } from "../../src/train/best.js"

describe("improves", () => {
  it("anything beats no best yet", () => {
    expect(improves({ mode: "min", min_delta: 0 }, 5, null)).toBe(true)
    expect(improves({ mode: "max", min_delta: 1 }, -5, null)).toBe(true)
  })

  it("min mode needs a score lower than best − min_delta; an equal score is no improvement", () => {
    const rule = { mode: "min", min_delta: 0.1 } as const
    expect(improves(rule, 0.95, 1)).toBe(false)
    expect(improves(rule, 0.9, 1)).toBe(false)
    expect(improves(rule, 0.85, 1)).toBe(true)
    expect(improves({ mode: "min", min_delta: 0 }, 1, 1)).toBe(false)
    expect(improves({ mode: "min", min_delta: 0 }, 0.999, 1)).toBe(true)
  })

  it("max mode needs a score higher than best + min_delta", () => {
    const rule = { mode: "max", min_delta: 0.1 } as const
    expect(improves(rule, 1.05, 1)).toBe(false)
    expect(improves(rule, 1.2, 1)).toBe(true)
    expect(improves(rule, 0.5, 1)).toBe(false)
  })

  it("a NaN score never beats an existing best", () => {
    expect(improves({ mode: "min", min_delta: 0 }, Number.NaN, 1)).toBe(false)
    expect(improves({ mode: "max", min_delta: 0 }, Number.NaN, 1)).toBe(false)
  })
})

describe("trackBest", () => {
  it("records the score and epoch of each improvement and keeps the old best otherwise", () => {
    const rule = { mode: "min", min_delta: 0 } as const
    let best = { score: null as number | null, epoch: 0 }
    const improvedAt: Array<number> = []
    const scores = [0.5, 0.4, 0.45, 0.4, 0.3, 0.31]
    scores.forEach((score, i) => {
      const r = trackBest(rule, best, score, i + 1)
      if (r.improved) improvedAt.push(i + 1)
      best = r.best
    })
    expect(improvedAt).toEqual([1, 2, 5])
    expect(best).toEqual({ score: 0.3, epoch: 5 })
  })
})
