import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { layerFromNames, type RunInfo, Tracker } from "../../src/tracking/index.js"
import { fakeMlflow } from "./mlflowServer.js"
import { readWithTensorBoard, tensorBoardPython } from "./tbReader.js"
import { runInfo } from "./runInfo.js"

const infoFor = (runDir: string, params: RunInfo["params"], resumed: boolean): RunInfo => runInfo(runDir, { params, resumed })

/** Ten batch steps per epoch and a histogram every epoch, then the final metrics. */
const train = (fromEpoch: number, toEpoch: number) =>
  Effect.gen(function*() {
    yield* trainPart(fromEpoch, toEpoch)
    yield* Effect.flatMap(Tracker, (tracker) => tracker.logMetrics({ "test/rmse": 3 }, toEpoch, "final"))
  })

/** Ten batch steps per epoch and a histogram every epoch, without final metrics (an attempt that never finished). */
const trainPart = (fromEpoch: number, toEpoch: number) =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    for (let epoch = fromEpoch; epoch <= toEpoch; epoch++) {
      for (let b = 1; b <= 10; b++) yield* tracker.logMetrics({ "train/loss": 1 / b }, (epoch - 1) * 10 + b, "batch")
      yield* tracker.logMetrics({ "train/loss": 1 / epoch, "val/loss": 2 / epoch }, epoch, "epoch")
      yield* tracker.logHistograms({ "lstm_1/kernel": new Float32Array([epoch, 1, 2]) }, epoch)
    }
  })

const duplicates = (steps: ReadonlyArray<number>) => steps.filter((s, i) => steps.indexOf(s) !== i)

describe("resume", () => {
  it.scopedLive(
    "from an older checkpoint: MLflow and TensorBoard get each step once; changed params are tags, in a request of their own",
    () =>
      Effect.gen(function*() {
        const server = yield* fakeMlflow()
        const runDir = mkdtempSync(join(tmpdir(), "resume-"))
        const mlflow = { uri: `${server.url}/` }
        // first attempt: 6 epochs, interrupted before its final metrics
        yield* Effect.exit(Effect.provide(
          Effect.zipRight(trainPart(1, 6), Effect.interrupt),
          layerFromNames(["tensorboard", "mlflow"], infoFor(runDir, { "train.epochs": 6, "model.units": 8 }, false), { mlflow })
        ))
        expect(server.onlyRun().status).toBe("KILLED")
        // resumed from the checkpoint of epoch 3 with more epochs; the URI is spelled without the slash
        yield* Effect.provide(
          Effect.gen(function*() {
            const tracker = yield* Tracker
            yield* tracker.logMetrics({ "train/loss": 9 }, 31, "batch")
            yield* tracker.logParams({ "train.epochs": 10, "model.units": 8, "train.clip_norm": 1 })
            yield* train(4, 10)
          }),
          layerFromNames(["tensorboard", "mlflow"], infoFor(runDir, { "train.epochs": 10, "model.units": 8 }, true), {
            mlflow: { uri: server.url },
            resumeMarks: { batch: 60, epoch: 6 }
          })
        )
        expect(server.runs.size).toBe(1)
        const run = server.onlyRun()
        expect(run.status).toBe("FINISHED")
        // params are immutable in MLflow: the old value stays, the change is a tag
        expect(run.params.get("train.epochs")).toBe("6")
        expect(run.params.get("train.clip_norm")).toBe("1")
        expect(run.tags.get("changed.train.epochs")).toBe("6 → 10")
        const points = server.points()
        expect(points).toHaveLength(new Set(points).size)
        const batchSteps = run.metrics.filter((m) => m.key === "batch/train/loss").map((m) => m.step).sort((a, b) => a - b)
        expect(batchSteps).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
        // epoch values at the global step, with the epoch beside them (Lightning's convention)
        expect(run.metrics.filter((m) => m.key === "val/loss").map((m) => m.step).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 10 }, (_, i) => (i + 1) * 10)
        )
        expect(run.metrics.filter((m) => m.key === "epoch").map((m) => m.value)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1))
        expect(run.tags.get("lstm_pipeline.version")).toMatch(/^\d+\.\d+\.\d+/)

        if (tensorBoardPython.python === null) {
          console.warn(`TensorBoard reader: ${tensorBoardPython.reason}`)
          return
        }
        const view = readWithTensorBoard(join(runDir, "tensorboard"))
        const trainRun = view["train"]!.tags
        for (const [tag, steps] of Object.entries(trainRun)) expect(duplicates(steps), tag).toEqual([])
        expect(trainRun["batch_loss"]).toHaveLength(100)
        expect(trainRun["lstm_1/kernel"]).toEqual(Array.from({ length: 10 }, (_, i) => i + 1))
        expect(view["validation"]!.tags["epoch_loss"]).toEqual(Array.from({ length: 10 }, (_, i) => i + 1))
        expect(view["."]!.hparams.session_end_status).toBe(1) // STATUS_SUCCESS
        expect(view["."]!.hparams.hparams).toEqual(["model.units", "train.epochs"])
      }).pipe(Effect.provide(NodeContext.layer))
  )
})

