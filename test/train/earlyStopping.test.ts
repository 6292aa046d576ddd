import { describe, expect, it } from "@effect/vitest"
import { earlyStopping, type EarlyStoppingRule } from "../../src/train/earlyStopping.js"

const epochsUntilStop = (rule: EarlyStoppingRule, improvements: ReadonlyArray<boolean>): number | null => {
  let wait = 0
  for (let i = 0; i < improvements.length; i++) {
    const r = earlyStopping(rule, wait, improvements[i]!)
    if (r.stop) return i + 1
    wait = r.epochsWithoutImprovement
  }
  return null
}

describe("earlyStopping", () => {
  it("counts epochs without improvement and resets on an improvement", () => {
    const rule = { enabled: true, patience: 5 }
    expect(earlyStopping(rule, 0, false)).toEqual({ epochsWithoutImprovement: 1, stop: false })
    expect(earlyStopping(rule, 3, false)).toEqual({ epochsWithoutImprovement: 4, stop: false })
    expect(earlyStopping(rule, 3, true)).toEqual({ epochsWithoutImprovement: 0, stop: false })
  })

  it("stops on the first epoch that makes the count exceed patience", () => {
    const rule = { enabled: true, patience: 2 }
    expect(earlyStopping(rule, 1, false)).toEqual({ epochsWithoutImprovement: 2, stop: false })
    expect(earlyStopping(rule, 2, false)).toEqual({ epochsWithoutImprovement: 3, stop: true })
    // best at epoch 1, then three epochs without: stops after epoch 4
    expect(epochsUntilStop(rule, [true, false, false, false, false])).toBe(4)
    // an improvement in between starts the count again
    expect(epochsUntilStop(rule, [true, false, false, true, false, false, false])).toBe(7)
  })

  it("patience 0 stops on the first epoch without improvement", () => {
    expect(epochsUntilStop({ enabled: true, patience: 0 }, [true, true, false])).toBe(3)
  })

  it("when disabled it keeps counting but never stops", () => {
    const rule = { enabled: false, patience: 0 }
    expect(earlyStopping(rule, 9, false)).toEqual({ epochsWithoutImprovement: 10, stop: false })
    expect(epochsUntilStop(rule, Array.from({ length: 20 }, () => false))).toBeNull()
  })
})
