import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { vi } from "vitest"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as RunDirectory from "../../src/rundir/RunDirectory.js"
import { formatMetric, layerConsole, layerJsonl, type RunInfo, Tracker } from "../../src/tracking/index.js"

const infoFor = (runDir: string, resumed = false): RunInfo => ({
  experiment: "births",
  runName: "r1",
  runDir,
  params: { "model.units": 32 },
  configText: "",
  tags: [],
  resumed
})

const lines = (file: string): ReadonlyArray<Record<string, unknown>> =>
  readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>)

const epochs = (from: number, to: number) =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    for (let epoch = from; epoch <= to; epoch++) {
      for (let b = 1; b <= 2; b++) yield* tracker.logMetrics({ "train/loss": epoch + b / 10 }, (epoch - 1) * 2 + b, "batch")
      yield* tracker.logMetrics({ "train/loss": epoch, "val/loss": epoch + 0.5 }, epoch, "epoch")
    }
  })

describe("layerJsonl", () => {
  it.live("writes one object per call, then resumes without duplicated steps", () =>
    Effect.gen(function*() {
      const runDir = mkdtempSync(join(tmpdir(), "jsonl-"))
      const file = join(runDir, "metrics.jsonl")
      yield* Effect.provide(epochs(1, 3), layerJsonl(infoFor(runDir)))
      const first = lines(file)
      expect(first).toHaveLength(9)
      expect(first[2]).toMatchObject({ kind: "epoch", step: 1, "train/loss": 1, "val/loss": 1.5 })
      expect(typeof first[0]!.time).toBe("number")
      // A torn line, as a crash mid-write would leave it.
      writeFileSync(file, readFileSync(file, "utf8") + '{"kind":"batch","st')

      // The loop resumes from the checkpoint of epoch 2 (batch step 4).
      const result = yield* (yield* RunDirectory.at(runDir)).trimMetrics({ epoch: 2, batch: 4 })
      expect(result).toEqual({ kept: 6, dropped: 4 })
      yield* Effect.provide(epochs(3, 4), layerJsonl(infoFor(runDir, true)))
      const all = lines(file)
      const steps = (kind: string) => all.filter((l) => l.kind === kind).map((l) => l.step)
      expect(steps("epoch")).toEqual([1, 2, 3, 4])
      expect(steps("batch")).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.live("a fresh (not resumed) run starts a new file", () =>
    Effect.gen(function*() {
      const runDir = mkdtempSync(join(tmpdir(), "jsonl-"))
      writeFileSync(join(runDir, "metrics.jsonl"), '{"kind":"epoch","step":9}\n')
      yield* Effect.provide(epochs(1, 1), layerJsonl(infoFor(runDir)))
      expect(lines(join(runDir, "metrics.jsonl")).map((l) => l.step)).toEqual([1, 2, 1])
    }).pipe(Effect.provide(NodeContext.layer)))
})

describe("layerConsole", () => {
  it.live("prints params once and one line per epoch, none per batch", () =>
    Effect.gen(function*() {
      const spy = vi.spyOn(console, "log").mockImplementation(() => undefined)
      yield* Effect.provide(
        Effect.gen(function*() {
          const tracker = yield* Tracker
          yield* tracker.logParams({ "model.units": 32 })
          yield* tracker.logMetrics({ "train/loss": 0.5 }, 1, "batch")
          yield* tracker.logMetrics({ "train/loss": 0.123456, "val/loss": 0.2, lr: 0.0001 }, 1, "epoch")
          yield* tracker.logMetrics({ "train/loss": 0.1 }, 2, "batch")
        }),
        layerConsole(infoFor("/tmp/x"))
      )
      const printed = spy.mock.calls.map((args) => args.map(String).join(" "))
      spy.mockRestore()
      expect(printed.filter((l) => l.startsWith("params:"))).toEqual(["params:\n  model.units = 32"])
      expect(printed.filter((l) => l.startsWith("epoch "))).toEqual(["epoch 1  train/loss=0.1235  val/loss=0.2  lr=1.00e-4"])
      expect(printed.some((l) => l.includes("0.5") || l.includes("batch"))).toBe(false)
      expect(printed.at(-1)).toBe("run r1 finished")
    }))

  it("formats metrics compactly", () => {
    expect(formatMetric(1234.5678)).toBe("1235")
    expect(formatMetric(0.000012)).toBe("1.20e-5")
    expect(formatMetric(42)).toBe("42")
    expect(formatMetric(Number.NaN)).toBe("NaN")
  })
})
