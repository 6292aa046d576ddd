import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { keptModelMetrics } from "../../src/stages/Train.js"
import { globalStepper } from "../../src/tracking/Mlflow.js"
import { initialTrainState } from "../../src/train/TrainState.js"
import { fixture, outputDir, runInProcess, set, tempDir } from "../pipeline/helpers.js"
import { fakeMlflow } from "./mlflowServer.js"

const record = (epoch: number, train: number, val: number) => ({ epoch, train_loss: train, val_loss: val, lr: 0.01, seconds: 1, samples_per_s: 10 })

/** MLflow's latest value of a metric: the greatest (step, timestamp, value). */
const latest = (points: ReadonlyArray<{ key: string; value: number | string; step: number; timestamp: number }>, key: string) =>
  points.filter((p) => p.key === key).reduce<(typeof points)[number] | undefined>((best, p) => {
    if (best === undefined) return p
    const a = [p.step, p.timestamp, Number(p.value)]
    const b = [best.step, best.timestamp, Number(best.value)]
    for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! > b[i]! ? p : best
    return best
  }, undefined)

describe("the reported val loss is the kept model's", () => {
  it("restored best: the best epoch's losses; otherwise the last epoch's", () => {
    const state = {
      ...initialTrainState(0.01),
      best_epoch: 2,
      best_score: 0.2,
      history: [record(1, 0.9, 0.5), record(2, 0.4, 0.2), record(3, 0.3, 0.35)]
    }
    expect(keptModelMetrics(state, true)).toEqual({ "train/loss": 0.4, "val/loss": 0.2, best_epoch: 2 })
    expect(keptModelMetrics(state, false)).toEqual({ "train/loss": 0.3, "val/loss": 0.35 })
    expect(keptModelMetrics(initialTrainState(0.01), true)).toEqual({})
  })

  it("a final value logged in the same millisecond as the last epoch's still becomes MLflow's latest", () => {
    const atStep = globalStepper()
    atStep({ _tag: "metrics", metrics: { loss: 1 }, step: 40, kind: "batch", time: 1000 })
    const epoch = atStep({ _tag: "metrics", metrics: { "val/loss": 0.35 }, step: 3, kind: "epoch", time: 1000 })
    const final = atStep({ _tag: "metrics", metrics: { "val/loss": 0.2 }, step: 3, kind: "final", time: 1000 })
    expect(epoch).toMatchObject({ step: 40, time: 1000, metrics: { "val/loss": 0.35, epoch: 3 } })
    expect(final).toMatchObject({ step: 40, time: 1001, metrics: { "val/loss": 0.2 } })
  })

  it.scopedLive("early stopping restores the best epoch: MLflow's latest val/loss, the final record and summary.json agree on it", () =>
    Effect.gen(function*() {
      const server = yield* fakeMlflow()
      const out = tempDir()
      const { memory, program } = runInProcess(
        fixture("tiny.yaml"),
        // a learning rate this high makes the val loss bounce: the last epoch is not the best
        [outputDir(out), set("train.learning_rate", "0.3"), set("train.epochs", "6"), set("tracking.trackers", "[mlflow]")],
        { tracking: { mlflow: { uri: server.url } } }
      )
      const outcome = yield* program
      const runDir = outcome.location!.runDir
      const summary = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8"))
      const epochs = memory.metrics("epoch")
      const best = epochs.find((e) => e.step === summary.best_epoch)!
      const last = epochs.at(-1)!
      // the premise: the model kept is not the last epoch's
      expect(summary.best_epoch).toBeLessThan(summary.epochs_completed)
      expect(best.metrics["val/loss"]).not.toBe(last.metrics["val/loss"])

      const final = memory.metrics("final")
      expect(final).toHaveLength(1)
      expect(final[0]!.metrics).toMatchObject({ "val/loss": best.metrics["val/loss"], best_epoch: summary.best_epoch })
      expect(final[0]!.metrics["test/rmse"]).toBeGreaterThan(0)
      const run = server.onlyRun()
      expect(latest(run.metrics, "val/loss")?.value).toBe(best.metrics["val/loss"])
      expect(latest(run.metrics, "best_epoch")?.value).toBe(summary.best_epoch)
      const jsonlFinal = readFileSync(join(runDir, "metrics.jsonl"), "utf8").split("\n").filter((l) => l.includes('"kind":"final"'))
      expect(jsonlFinal).toHaveLength(1)
    }).pipe(Effect.provide(NodeContext.layer)))
})
