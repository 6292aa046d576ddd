import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { fixture, outputDir, runInProcess, tempDir } from "./helpers.js"

const cachedStages = (stages: Record<string, { cached: boolean } | undefined>) =>
  Object.fromEntries(Object.entries(stages).map(([name, run]) => [name, run?.cached]))

describe("pipeline", () => {
  it.effect("runs every stage, leaves a self-describing run directory and logs to the swapped-in tracker", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const { memory, program } = runInProcess(fixture("tiny.yaml"), [outputDir(out)])
      const outcome = yield* program
      const runDir = outcome.location!.runDir
      for (const file of ["config.yaml", "metrics.jsonl", "summary.json", "eval.json", "model/model.json", "model/weights.bin", "model/preprocessing.json", "predictions/test.csv"]) {
        expect(existsSync(join(runDir, file)), file).toBe(true)
      }
      expect(readdirSync(join(runDir, "checkpoints"))).toContain("best")
      const summary = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8"))
      expect(summary.status).toBe("success")
      expect(summary.epochs_completed).toBe(3)
      expect(summary.weights_sha256).toMatch(/^[0-9a-f]{64}$/)
      expect(summary.metrics.test.rmse).toBeGreaterThan(0)
      expect(summary.metrics.baselines.test.seasonal_naive.rmse).toBeGreaterThan(0)
      // the tracker saw every epoch once, every batch step once, the final metrics and a successful end
      expect(memory.metrics("epoch").map((m) => m.step)).toEqual([1, 2, 3])
      const batchSteps = memory.metrics("batch").map((m) => m.step)
      expect(batchSteps).toEqual(Array.from({ length: batchSteps.length }, (_, i) => i + 1))
      expect(memory.metrics("epoch")[0]!.metrics["val/loss"]).toBeGreaterThan(0)
      expect(memory.metrics("final")).toHaveLength(1)
      expect(Object.keys(memory.metrics("final")[0]!.metrics)).toEqual(expect.arrayContaining(["test/rmse", "val/loss"]))
      const histograms = memory.record.calls.find((c) => c._tag === "histograms" && c.step === 2)
      expect(histograms?._tag === "histograms" && Object.keys(histograms.values)).toEqual(
        expect.arrayContaining(["lstm_1/kernel", "dense/bias", "grad/lstm_1/kernel", "grad/dense/bias"])
      )
      expect(memory.record.status).toBe("success")
      // config.yaml records where each value came from
      const config = readFileSync(join(runDir, "config.yaml"), "utf8")
      expect(config).toMatch(/epochs: 3 # file/)
      expect(config).toMatch(/batch_size: 32 # file/)
      expect(config).toMatch(/output_dir: .* # flag --output-dir/)
      expect(config).toMatch(/learning_rate: 0.002 # default/)
    }))

  it.effect("loads every stage from the cache the second time, and re-runs only what a change touches", () =>
    Effect.gen(function*() {
      const out = tempDir()
      yield* runInProcess(fixture("tiny.yaml"), [outputDir(out)]).program
      const again = yield* runInProcess(fixture("tiny.yaml"), [outputDir(out)]).program
      expect(cachedStages(again.stages)).toEqual({ "load-config": true, "prepare-data": true, train: true, evaluate: true, persist: true })
      // a cached Train still gives the new run its epoch curve
      expect(readFileSync(join(again.location!.runDir, "metrics.jsonl"), "utf8")).toContain("\"epoch\"")

      const evalChange = yield* runInProcess(fixture("tiny.yaml"), [outputDir(out), { path: "eval.season", raw: "3", source: "--set" }]).program
      expect(cachedStages(evalChange.stages)).toEqual({ "load-config": false, "prepare-data": true, train: true, evaluate: false, persist: false })

      const trainChange = yield* runInProcess(fixture("tiny.yaml"), [outputDir(out), { path: "train.epochs", raw: "2", source: "--epochs" }]).program
      expect(cachedStages(trainChange.stages)).toEqual({ "load-config": false, "prepare-data": true, train: false, evaluate: false, persist: false })
      expect(trainChange.stages.train!.reasons).toContain("train.epochs: 3 → 2")

      const forced = yield* runInProcess(fixture("tiny.yaml"), [outputDir(out)], { forceStages: ["evaluate"] }).program
      expect(cachedStages(forced.stages)).toMatchObject({ train: true, evaluate: false })
    }))

  it.effect("ignores and rebuilds a torn cache entry", () =>
    Effect.gen(function*() {
      const out = tempDir()
      yield* runInProcess(fixture("tiny.yaml"), [outputDir(out)]).program
      const evalDir = join(out, ".cache", "evaluate")
      const entry = readdirSync(evalDir).find((name) => /^[0-9a-f]{64}$/.test(name))!
      rmSync(join(evalDir, entry, "DONE"))
      const again = yield* runInProcess(fixture("tiny.yaml"), [outputDir(out)]).program
      expect(again.stages.evaluate!.cached).toBe(false)
      expect(again.stages.train!.cached).toBe(true)
      expect(existsSync(join(evalDir, entry, "DONE"))).toBe(true)
    }))

  it.effect("`stage evaluate` re-runs one stage from cached upstream outputs, and names a missing one", () =>
    Effect.gen(function*() {
      const empty = tempDir()
      const missing = yield* Effect.flip(runInProcess(fixture("tiny.yaml"), [outputDir(empty)], { only: "evaluate" }).program)
      expect(missing._tag).toBe("UpstreamMissing")
      if (missing._tag === "UpstreamMissing") {
        expect(missing.stage).toBe("load-config")
        expect(missing.fix).toContain("pipeline run")
      }
      const out = tempDir()
      yield* runInProcess(fixture("tiny.yaml"), [outputDir(out)]).program
      const one = yield* runInProcess(fixture("tiny.yaml"), [outputDir(out)], { only: "evaluate" }).program
      expect(cachedStages(one.stages)).toEqual({ "load-config": true, "prepare-data": true, train: true, evaluate: false })
      expect(one.evaluation?.report.splits.test?.model.rmse).toBeGreaterThan(0)
    }))

  it.effect("trains on a CSV source with feature columns, resolved next to the config", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const outcome = yield* runInProcess(fixture("sales.yaml"), [outputDir(out)]).program
      const preprocessing = JSON.parse(readFileSync(join(outcome.location!.runDir, "model", "preprocessing.json"), "utf8"))
      expect(preprocessing.manifest.features.slice(0, 3)).toEqual(["units", "temperature", "promo"])
    }))
})
