import { describe, expect, it } from "@effect/vitest"
import { scheduledRate, type ScheduleSettings } from "../../src/train/schedule.js"

const settings = (
  kind: ScheduleSettings["schedule"]["kind"],
  options: { base?: number; epochs?: number; warmup?: number; minLr?: number } = {}
): ScheduleSettings => ({
  learning_rate: options.base ?? 0.1,
  epochs: options.epochs ?? 11,
  schedule: { kind, factor: 0.5, patience: 3, min_lr: options.minLr ?? 0, warmup_epochs: options.warmup ?? 0 }
})

describe("scheduledRate", () => {
  it("constant gives the base rate every epoch, whatever the current rate", () => {
    for (const epoch of [1, 2, 50]) expect(scheduledRate(settings("constant"), epoch, 0.7)).toBe(0.1)
  })

  it("warm-up rises linearly to base·w/(w+1), then the schedule starts at the base rate", () => {
    const s = settings("constant", { base: 0.004, warmup: 3 })
    expect([1, 2, 3, 4, 5].map((e) => scheduledRate(s, e, 0))).toEqual([0.001, 0.002, 0.003, 0.004, 0.004])
  })

  it("cosine falls from the base rate to min_lr over the epochs after warm-up", () => {
    // span = epochs - 1 = 10: epoch 6 is half way, cos(π/2) = 0
    const s = settings("cosine", { base: 0.1, epochs: 11, minLr: 0.01 })
    expect(scheduledRate(s, 1, 0)).toBe(0.1)
    expect(scheduledRate(s, 6, 0)).toBeCloseTo(0.055, 15)
    // epoch 3: progress 0.2, 0.01 + 0.045·(1 + cos(0.2π)) = 0.01 + 0.045·1.809017 = 0.0914058
    expect(scheduledRate(s, 3, 0)).toBeCloseTo(0.0914058, 6)
    expect(scheduledRate(s, 11, 0)).toBeCloseTo(0.01, 15)
    // past the last epoch (a resumed run with more epochs) it stays at min_lr
    expect(scheduledRate(s, 20, 0)).toBeCloseTo(0.01, 15)
  })

  it("cosine after warm-up starts at the base rate on the first epoch after it", () => {
    const s = settings("cosine", { base: 0.2, epochs: 12, warmup: 2 })
    expect(scheduledRate(s, 1, 0)).toBeCloseTo(0.2 / 3, 15)
    expect(scheduledRate(s, 2, 0)).toBeCloseTo(0.4 / 3, 15)
    expect(scheduledRate(s, 3, 0)).toBe(0.2)
    // span = 12 - 2 - 1 = 9 epochs; epoch 12 is the end
    expect(scheduledRate(s, 12, 0)).toBeCloseTo(0, 15)
  })

  it("cosine over a single epoch does not divide by zero", () => {
    expect(scheduledRate(settings("cosine", { epochs: 1 }), 1, 0)).toBe(0.1)
  })

  it("reduce_on_plateau keeps the current rate, except the first epoch after warm-up takes the base rate", () => {
    expect(scheduledRate(settings("reduce_on_plateau"), 1, 0.5)).toBe(0.1)
    expect(scheduledRate(settings("reduce_on_plateau"), 5, 0.025)).toBe(0.025)
    const warm = settings("reduce_on_plateau", { warmup: 2 })
    expect(scheduledRate(warm, 2, 0.5)).toBeCloseTo(0.2 / 3, 15)
    expect(scheduledRate(warm, 3, 0.0667)).toBe(0.1)
    expect(scheduledRate(warm, 4, 0.05)).toBe(0.05)
  })
})
