import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import { RunFiles, type RunSummary } from "../../src/rundir/files.js"
import { makeMemory } from "../../src/rundir/RunDirectory.js"

const location = { experiment: "births", runName: "r1", runDir: "/runs/births/r1", existing: false }

const summary: RunSummary = {
  experiment: "births",
  run: "r1",
  run_dir: location.runDir,
  config_file: "/configs/train.yaml",
  status: "failed",
  started_at: "2026-01-01T00:00:00.000Z",
  finished_at: "2026-01-01T00:01:00.000Z",
  duration_s: 60,
  best_epoch: null,
  epochs_completed: 2,
  stopped_early: false,
  device: "auto",
  engine: null,
  threads: null,
  train_seconds: null,
  samples_per_s: null,
  peak_rss_mb: 200,
  weights_sha256: null,
  trained_in: null,
  resumed_from: null,
  data: null,
  // a failed or interrupted run has no metrics: null is part of the format, not an error
  metrics: null,
  hparams: { "model.layers": 2 },
  stages: {},
  versions: { node: "20" }
}

const text = (files: Map<string, Uint8Array>, name: string) => new TextDecoder().decode(files.get(name))

describe("RunDirectory", () => {
  it.effect("writes summary.json through its Schema and reads it back, metrics null included", () =>
    Effect.gen(function*() {
      const files = new Map<string, Uint8Array>()
      const dir = makeMemory(location, files)
      expect(Option.isNone(yield* dir.readSummary)).toBe(true)
      yield* dir.writeSummary(summary)
      expect(JSON.parse(text(files, RunFiles.summary)).metrics).toBeNull()
      expect(yield* dir.readSummary).toEqual(Option.some(summary))
    }))

  it.effect("a file that is not a summary is a RunDirError naming it, not a defect", () =>
    Effect.gen(function*() {
      const dir = makeMemory(location, new Map([[RunFiles.summary, new TextEncoder().encode('{"status":"success"}')]]))
      const exit = yield* Effect.exit(dir.readSummary)
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("/runs/births/r1/summary.json is not a run summary")
    }))

  it.effect("writes predictions/test.csv with a series column, empty cells for undefined values, and reads them back", () =>
    Effect.gen(function*() {
      const files = new Map<string, Uint8Array>()
      const dir = makeMemory(location, files)
      yield* dir.writePredictions([
        { series: "ca", time: "2003-01-01", actual: 10, predicted: 11.5, seasonal_naive: Number.NaN, last_value: 9 },
        { series: "ca", time: "2003-01-02", actual: 12, predicted: 12.25, seasonal_naive: 10, last_value: 10 },
        { series: "store \"7\", east", time: "2003-01-01", actual: 3, predicted: 4, seasonal_naive: 2, last_value: 1 }
      ])
      expect(text(files, RunFiles.predictions)).toBe(
        "series,time,actual,predicted,seasonal_naive,last_value\nca,2003-01-01,10,11.5,,9\nca,2003-01-02,12,12.25,10,10\n" +
          "\"store \"\"7\"\", east\",2003-01-01,3,4,2,1\n"
      )
      expect(yield* dir.readPredictions).toEqual([
        { series: "ca", time: "2003-01-01", actual: 10, predicted: 11.5, seasonal_naive: null, last_value: 9 },
        { series: "ca", time: "2003-01-02", actual: 12, predicted: 12.25, seasonal_naive: 10, last_value: 10 },
        { series: "store \"7\", east", time: "2003-01-01", actual: 3, predicted: 4, seasonal_naive: 2, last_value: 1 }
      ])
    }))

  it.effect("reads a predictions/test.csv of an older run (no series column) as one unnamed series", () =>
    Effect.gen(function*() {
      const csv = "time,actual,predicted,seasonal_naive,last_value\n2003-01-01,10,11.5,,9\n"
      const dir = makeMemory(location, new Map([[RunFiles.predictions, new TextEncoder().encode(csv)]]))
      expect(yield* dir.readPredictions).toEqual([{ series: "", time: "2003-01-01", actual: 10, predicted: 11.5, seasonal_naive: null, last_value: 9 }])
    }))

  it.effect("trims metrics.jsonl back to a resume point per kind, dropping torn lines", () =>
    Effect.gen(function*() {
      const lines = [
        { kind: "batch", step: 1, time: 1, "train/loss": 1 },
        { kind: "batch", step: 2, time: 2, "train/loss": 0.9 },
        { kind: "epoch", step: 1, time: 3, "train/loss": 0.95, "val/loss": 1.1 },
        { kind: "batch", step: 3, time: 4, "train/loss": 0.8 },
        { kind: "epoch", step: 2, time: 5, "train/loss": 0.8, "val/loss": null }
      ].map((l) => JSON.stringify(l)).join("\n") + '\n{"kind":"ba'
      const files = new Map([[RunFiles.metrics, new TextEncoder().encode(lines)]])
      const dir = makeMemory(location, files)
      expect(yield* dir.readEpochLosses).toEqual([
        { epoch: 1, train: 0.95, validation: 1.1 },
        { epoch: 2, train: 0.8, validation: null }
      ])
      expect(yield* dir.trimMetrics({ batch: 2, epoch: 1 })).toEqual({ kept: 3, dropped: 3 })
      expect(text(files, RunFiles.metrics).trim().split("\n").map((l) => JSON.parse(l).step)).toEqual([1, 2, 1])
    }))

  it.effect("refuses a missing export with a fix that names what to pass", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(makeMemory(location).readPreprocessing)
      expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("has no exported model")
    }))
})
