import { describe, expect, it } from "@effect/vitest"
import { planRetention, type RetentionCandidate } from "../../src/checkpoint/retention.js"

const periodic = (epoch: number, intact = true): RetentionCandidate => ({
  name: `e${epoch}`,
  kind: "periodic",
  epoch,
  step: epoch * 10,
  intact
})

describe("planRetention", () => {
  it("keeps the newest N plus milestones and removes the rest", () => {
    const all = [1, 2, 3, 4, 5, 6, 7].map((e) => periodic(e))
    const removed = planRetention(all, { name: "e7", step: 70 }, { keepLast: 2, keepEveryEpochs: 3 })
    expect(removed.map((r) => r.name)).toEqual(["e1", "e2", "e4", "e5"])
    expect(removed[0]!.why).toBe("older than the newest 2")
  })

  it("removes superseded emergency and corrupt checkpoints but not later ones", () => {
    const candidates: ReadonlyArray<RetentionCandidate> = [
      periodic(1),
      { name: "em55", kind: "emergency", epoch: undefined, step: 55, intact: true },
      periodic(5, false),
      periodic(6),
      { name: "em95", kind: "emergency", epoch: undefined, step: 95, intact: true },
      periodic(9)
    ]
    const removed = planRetention(candidates, { name: "e6", step: 60 }, { keepLast: 3, keepEveryEpochs: 0 })
    expect(removed).toEqual([
      { name: "em55", why: "superseded by e6" },
      { name: "e5", why: "corrupt, superseded by e6" }
    ])
  })

  it("never removes the checkpoint just saved, even with keepLast 0", () => {
    const removed = planRetention([periodic(1), periodic(2)], { name: "e2", step: 20 }, { keepLast: 0, keepEveryEpochs: 0 })
    expect(removed.map((r) => r.name)).toEqual(["e1"])
  })
})
