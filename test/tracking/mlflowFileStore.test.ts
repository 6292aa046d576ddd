import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileStoreRoot } from "../../src/tracking/MlflowFileStore.js"
import { layerFromNames, type RunInfo, Tracker } from "../../src/tracking/index.js"
import { runInfo } from "./runInfo.js"

const infoFor = (runDir: string, params: RunInfo["params"], resumed: boolean): RunInfo => runInfo(runDir, { params, resumed, tags: ["sweep"] })

const epochs = (from: number, to: number) =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    for (let epoch = from; epoch <= to; epoch++) {
      for (let b = 1; b <= 2; b++) yield* tracker.logMetrics({ "train/loss": 1 / b }, (epoch - 1) * 2 + b, "batch")
      yield* tracker.logMetrics({ "val/loss": epoch / 10 }, epoch, "epoch")
    }
  })

describe("MLflow file store (MLFLOW_TRACKING_URI=file:./mlruns)", () => {
  it("reads file: URIs and paths as a store root, http(s) as a server", () => {
    expect(fileStoreRoot("file:./mlruns")).toBe("./mlruns")
    expect(fileStoreRoot("file:///tmp/ml%20runs")).toBe("/tmp/ml runs")
    expect(fileStoreRoot("/tmp/mlruns")).toBe("/tmp/mlruns")
    expect(fileStoreRoot("http://localhost:5000")).toBeUndefined()
    expect(fileStoreRoot("databricks://x")).toBeUndefined()
  })

  it.live("writes MLflow's file layout; a resume continues the same run and records a changed param as a tag", () =>
    Effect.gen(function*() {
      const base = mkdtempSync(join(tmpdir(), "mlruns-"))
      const runDir = join(base, "run")
      const store = join(base, "mlruns")
      const mlflow = { uri: `file:${store}` }
      yield* Effect.provide(epochs(1, 2), layerFromNames(["mlflow"], infoFor(runDir, { "train.epochs": 2 }, false), { mlflow, systemMetrics: false }))
      const [experiment] = readdirSync(store).filter((n) => n !== "0")
      expect(readFileSync(join(store, "0", "meta.yaml"), "utf8")).toMatch(/^name: 'Default'$/m)
      expect(readFileSync(join(store, experiment!, "meta.yaml"), "utf8")).toMatch(/^name: 'births'$/m)
      const [run] = readdirSync(join(store, experiment!)).filter((n) => n !== "meta.yaml")
      const runPath = join(store, experiment!, run!)
      expect(run).toMatch(/^[0-9a-f]{32}$/)
      const meta = readFileSync(join(runPath, "meta.yaml"), "utf8")
      expect(meta).toMatch(/^status: 3$/m) // FINISHED
      expect(meta).toMatch(new RegExp(`^run_id: ${run}$`, "m"))
      expect(meta).toMatch(/^end_time: \d{13}$/m)
      expect(readFileSync(join(runPath, "params", "train.epochs"), "utf8")).toBe("2")
      expect(readFileSync(join(runPath, "tags", "mlflow.runName"), "utf8")).toBe("r1")
      expect(readFileSync(join(runPath, "tags", "sweep"), "utf8")).toBe("true")
      const lines = (key: string) => readFileSync(join(runPath, "metrics", key), "utf8").trim().split("\n").map((l) => l.split(" "))
      expect(lines("batch/train/loss").map(([, value, step]) => [Number(value), Number(step)])).toEqual([[1, 1], [0.5, 2], [1, 3], [0.5, 4]])
      // Lightning's convention: epoch values at the global step, with the epoch beside them
      expect(lines("val/loss").map(([, , step]) => Number(step))).toEqual([2, 4])
      expect(lines("epoch").map(([, value]) => Number(value))).toEqual([1, 2])
      for (const [timestamp] of lines("val/loss")) expect(Number(timestamp)).toBeGreaterThan(1.6e12)

      yield* Effect.provide(
        epochs(3, 3),
        layerFromNames(["mlflow"], infoFor(runDir, { "train.epochs": 3 }, true), { mlflow, systemMetrics: false, resumeMarks: { batch: 4, epoch: 2 } })
      )
      expect(readdirSync(join(store, experiment!)).filter((n) => n !== "meta.yaml")).toEqual([run])
      expect(lines("val/loss").map(([, , step]) => Number(step))).toEqual([2, 4, 6])
      expect(readFileSync(join(runPath, "params", "train.epochs"), "utf8")).toBe("2")
      expect(readFileSync(join(runPath, "tags", "changed.train.epochs"), "utf8")).toBe("2 → 3")
    }).pipe(Effect.provide(NodeContext.layer)))
})
