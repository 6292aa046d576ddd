import { describe, expect, it } from "@effect/vitest"
import type { TrainConfig } from "../../src/config/TrainConfig.js"
import { epochEnd, type EpochEndState, monitoredScore } from "../../src/train/epochEnd.js"

const train: Pick<TrainConfig["train"], "schedule" | "early_stopping"> = {
  schedule: { kind: "reduce_on_plateau", factor: 0.5, patience: 1, min_lr: 0, warmup_epochs: 0 },
  early_stopping: { enabled: true, monitor: "val_loss", mode: "min", patience: 2, min_delta: 0, restore_best: true }
}

const fresh: EpochEndState = {
  lr: 0.1,
  best_score: null,
  best_epoch: 0,
  epochs_without_improvement: 0,
  plateau_wait: 0,
  stopped_early: false
}

describe("monitoredScore", () => {
  it("watches val_loss, falling back to the train loss when there is no validation split", () => {
    expect(monitoredScore("val_loss", 0.3, 0.5)).toBe(0.5)
    expect(monitoredScore("val_loss", 0.3, null)).toBe(0.3)
    expect(monitoredScore("train_loss", 0.3, 0.5)).toBe(0.3)
  })
})

describe("epochEnd", () => {
  it("tracks the best, reduces the rate on plateaus and stops early, epoch by epoch", () => {
    const valLosses = [1.0, 0.8, 0.85, 0.9, 0.7, 0.75, 0.76, 0.77]
    let state = fresh
    const trace: Array<[number, boolean, number, number, boolean]> = []
    valLosses.forEach((val, i) => {
      const d = epochEnd(train, state, i + 1, { train: 0.1, val })
      expect(d.score).toBe(val)
      state = d.next
      trace.push([i + 1, d.improved, state.lr, state.best_epoch, state.stopped_early])
    })
    expect(trace).toEqual([
      [1, true, 0.1, 1, false],
      [2, true, 0.1, 2, false],
      [3, false, 0.1, 2, false],
      // second epoch without improvement exceeds the plateau patience of 1
      [4, false, 0.05, 2, false],
      [5, true, 0.05, 5, false],
      [6, false, 0.05, 5, false],
      [7, false, 0.025, 5, false],
      // third epoch without improvement exceeds the early-stopping patience of 2
      [8, false, 0.025, 5, true]
    ])
    expect(state).toEqual({
      lr: 0.025,
      best_score: 0.7,
      best_epoch: 5,
      epochs_without_improvement: 3,
      plateau_wait: 1,
      stopped_early: true
    })
  })

  it("watches the train loss when told to, and leaves the rate alone under other schedules", () => {
    const cosine = { ...train, schedule: { ...train.schedule, kind: "cosine" as const } }
    const monitorTrain = { ...cosine, early_stopping: { ...train.early_stopping, monitor: "train_loss" as const } }
    const first = epochEnd(monitorTrain, fresh, 1, { train: 0.4, val: 0.1 })
    expect(first.score).toBe(0.4)
    const second = epochEnd(monitorTrain, first.next, 2, { train: 0.5, val: 0.05 })
    expect(second.improved).toBe(false)
    expect(second.next).toMatchObject({ lr: 0.1, plateau_wait: 0, best_score: 0.4, best_epoch: 1, epochs_without_improvement: 1 })
  })
})
