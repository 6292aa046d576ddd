import { describe, expect, it } from "@effect/vitest"
import { checkpointEpoch, initialTrainState } from "../../src/train/TrainState.js"

describe("checkpointEpoch", () => {
  it("names an epoch-boundary checkpoint after the epoch it completed, not the next one to run", () => {
    // after epoch 5 the state already points at epoch 6, batch 0
    expect(checkpointEpoch({ epoch: 6, batch_in_epoch: 0 })).toBe(5)
  })

  it("names a mid-epoch checkpoint after the epoch it is inside", () => {
    expect(checkpointEpoch({ epoch: 6, batch_in_epoch: 3 })).toBe(6)
  })

  it("gives 0 before the first step", () => {
    expect(checkpointEpoch(initialTrainState(0.01))).toBe(0)
  })
})
