import { describe, expect, it } from "@effect/vitest"
import type { TrainConfig } from "../../src/config/TrainConfig.js"
import { reduceOnPlateau, type PlateauState } from "../../src/train/plateau.js"

const schedule = (overrides: Partial<TrainConfig["train"]["schedule"]> = {}): TrainConfig["train"]["schedule"] => ({
  kind: "reduce_on_plateau",
  factor: 0.5,
  patience: 2,
  min_lr: 0.001,
  warmup_epochs: 0,
  ...overrides
})

const run = (s: TrainConfig["train"]["schedule"], start: PlateauState, improvements: ReadonlyArray<boolean>) => {
  const states: Array<PlateauState> = []
  let state = start
  for (const improved of improvements) {
    state = reduceOnPlateau(s, state, improved)
    states.push(state)
  }
  return states
}

describe("reduceOnPlateau", () => {
  it("halves the rate after more than `patience` epochs without improvement, then waits again", () => {
    const states = run(schedule(), { lr: 0.1, wait: 0 }, [false, false, false, false, false, false])
    expect(states).toEqual([
      { lr: 0.1, wait: 1 },
      { lr: 0.1, wait: 2 },
      { lr: 0.05, wait: 0 },
      { lr: 0.05, wait: 1 },
      { lr: 0.05, wait: 2 },
      { lr: 0.025, wait: 0 }
    ])
  })

  it("an improvement resets the wait and keeps the rate", () => {
    expect(run(schedule(), { lr: 0.1, wait: 0 }, [false, false, true, false, false])).toEqual([
      { lr: 0.1, wait: 1 },
      { lr: 0.1, wait: 2 },
      { lr: 0.1, wait: 0 },
      { lr: 0.1, wait: 1 },
      { lr: 0.1, wait: 2 }
    ])
  })

  it("never goes below min_lr", () => {
    expect(reduceOnPlateau(schedule({ patience: 0 }), { lr: 0.0015, wait: 0 }, false)).toEqual({ lr: 0.001, wait: 0 })
    expect(reduceOnPlateau(schedule({ patience: 0 }), { lr: 0.001, wait: 0 }, false)).toEqual({ lr: 0.001, wait: 0 })
  })

  it("patience 0 reduces on every epoch without improvement, by `factor`", () => {
    const states = run(schedule({ patience: 0, factor: 0.1, min_lr: 0 }), { lr: 1, wait: 0 }, [false, false])
    expect(states.map((s) => s.lr)).toEqual([0.1, 0.1 * 0.1])
  })

  it("other schedules never change the rate and keep the wait at 0", () => {
    for (const kind of ["constant", "cosine"] as const) {
      expect(run(schedule({ kind, patience: 0 }), { lr: 0.1, wait: 0 }, [false, false, false])).toEqual([
        { lr: 0.1, wait: 0 },
        { lr: 0.1, wait: 0 },
        { lr: 0.1, wait: 0 }
      ])
    }
  })
})
