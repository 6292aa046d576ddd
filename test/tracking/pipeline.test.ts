import { fromBinary } from "@bufbuild/protobuf"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join, sep } from "node:path"
import type { Override } from "../../src/config/loadConfig.js"
import { layerSilent } from "../../src/progress/Progress.js"
import { readRun } from "../../src/runs/index.js"
import { runPipeline } from "../../src/pipeline/Pipeline.js"
import { layerFromNames, TrackerLayer, type TrackingOptions } from "../../src/tracking/layerFromNames.js"
import { fixture, outputDir, set, tempDir } from "../pipeline/helpers.js"
import { EventSchema } from "../../src/tracking/proto/gen/tensorboard/event_pb.js"
import { GraphDefSchema } from "../../src/tracking/proto/gen/tensorboard/graph_pb.js"
import { readRecords } from "../../src/tracking/tfrecord.js"
import { fakeMlflow } from "./mlflowServer.js"
import { readWithTensorBoard, tensorBoardPython } from "./tbReader.js"

/** The tiny pipeline in-process, with the config's trackers and these backend options. */
const run = (overrides: ReadonlyArray<Override>, options: TrackingOptions = {}) =>
  runPipeline({ configFile: fixture("tiny.yaml"), overrides, force: false, forceStages: [], dryRun: false, only: null }).pipe(
    Effect.provide(Layer.mergeAll(NodeContext.layer, layerSilent)),
    Effect.provideService(TrackerLayer, (names, info, own) => layerFromNames(names, info, { ...own, ...options }))
  )

const duplicates = <T>(values: ReadonlyArray<T>): ReadonlyArray<T> => values.filter((v, i) => values.indexOf(v) !== i)

describe("tracking in the pipeline", () => {
  it.effect("without the jsonl tracker the run still has its history: loss plot, report curve, `runs ls` val loss", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const outcome = yield* run([outputDir(out), set("tracking.trackers", "[tensorboard]")])
      const runDir = outcome.location!.runDir
      const epochs = readFileSync(join(runDir, "metrics.jsonl"), "utf8").split("\n").filter((l) => l.includes('"kind":"epoch"'))
      expect(epochs).toHaveLength(3)
      // each epoch carries the process's memory and CPU use
      for (const line of epochs) {
        const row = JSON.parse(line)
        expect(row["system/rss_mb"]).toBeGreaterThan(10)
        expect(row["system/cpu_percent"]).toBeGreaterThanOrEqual(0)
      }
      expect(existsSync(join(runDir, "plots", "loss.png"))).toBe(true)
      // the model's graph for TensorBoard's Graphs tab, built from the trained model's shape
      const graphs = readdirSync(join(runDir, "tensorboard", "train")).filter((f) => f.includes("tfevents")).flatMap((f) =>
        readRecords(new Uint8Array(readFileSync(join(runDir, "tensorboard", "train", f)))).map((r) => fromBinary(EventSchema, r).what)
      ).flatMap((what) => (what.case === "graphDef" ? [fromBinary(GraphDefSchema, what.value)] : []))
      expect(graphs).toHaveLength(1)
      expect(graphs[0]!.node.map((n) => n.name)).toEqual(expect.arrayContaining(["input_1", "lstm_forecaster/lstm_1/LSTM", "lstm_forecaster/lstm_2/LSTM", "Identity"]))
      // and the conceptual graph Keras writes: the exported model's Keras config under the tag `keras`
      const keras = readdirSync(join(runDir, "tensorboard", "train")).filter((f) => f.includes("tfevents")).flatMap((f) =>
        readRecords(new Uint8Array(readFileSync(join(runDir, "tensorboard", "train", f)))).map((r) => fromBinary(EventSchema, r))
      ).flatMap((e) => (e.what.case === "summary" ? e.what.value.value.filter((v) => v.tag === "keras").map((v) => ({ step: e.step, v })) : []))
      expect(keras).toHaveLength(1)
      expect(keras[0]!.step).toBe(0n)
      expect(keras[0]!.v.metadata?.pluginData?.pluginName).toBe("graph_keras_model")
      const tensor = keras[0]!.v.value
      const config = JSON.parse(new TextDecoder().decode(tensor.case === "tensor" ? tensor.value.stringVal[0] : new Uint8Array()))
      expect(config).toEqual(JSON.parse(readFileSync(join(runDir, "model", "model.json"), "utf8")).modelTopology)
      expect(config.config.layers.map((l: { config: { name: string } }) => l.config.name)).toEqual(["lstm_1", "lstm_2", "dense"])
      expect(readFileSync(join(runDir, "report.html"), "utf8")).toContain("<h2>Loss per epoch</h2>")
      const entry = Option.getOrThrow(yield* readRun(runDir).pipe(Effect.provide(NodeContext.layer)))
      expect(entry.metrics["val.loss"]).toBeGreaterThan(0)
      // summary.json says what each backend took
      const summary = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8"))
      expect(Object.keys(summary.tracking).sort()).toEqual(["jsonl", "tensorboard"])
      expect(summary.tracking.jsonl.delivered).toBeGreaterThan(0)
      expect(summary.tracking.tensorboard).toMatchObject({ spooled: 0, dropped: 0 })
    }))

  it.scopedLive(
    "resumed from an older checkpoint with a changed param: the whole config is logged, every step once in MLflow and TensorBoard",
    () =>
      Effect.gen(function*() {
        const server = yield* fakeMlflow()
        const out = tempDir()
        const base = [outputDir(out), set("run_name", "r"), set("tracking.trackers", "[tensorboard, mlflow]")]
        const mlflow = { mlflow: { uri: server.url } }
        const first = yield* run(base, mlflow)
        const runDir = first.location!.runDir
        const run1 = server.onlyRun()
        expect(run1.params.get("train.clip_norm")).toBe("1")
        expect(run1.params.get("train.early_stopping.patience")).toBe("8")
        expect(run1.params.size).toBeGreaterThanOrEqual(40)
        const firstPoints = server.points().length

        // from the checkpoint of epoch 1, with one more epoch: epochs 2 and 3 are trained again
        // named by the epoch it continues with: epoch-0002 holds the state after epoch 1
        const epoch1 = readdirSync(join(runDir, "checkpoints")).find((n) => n.startsWith("epoch-0002"))
        expect(epoch1).toBeDefined()
        yield* run([
          ...base,
          set("checkpoint.resume", join(runDir, "checkpoints", epoch1!)),
          set("checkpoint.allow_config_change", "[train.epochs]"),
          set("train.epochs", "4")
        ], mlflow)
        expect(server.runs.size).toBe(1)
        expect(run1.status).toBe("FINISHED")
        expect(run1.params.get("train.epochs")).toBe("3")
        expect(run1.tags.get("changed.train.epochs")).toBe("3 → 4")
        const points = server.points()
        expect(points.length).toBeGreaterThan(firstPoints)
        // once each, but for the kept model's losses: logged again at a run's last step as its final values
        const twice = [...new Set(duplicates(points))]
        expect(twice.filter((p) => !/^(train|val)\/loss@\d+$/.test(p))).toEqual([])
        expect(new Set(twice.map((p) => p.split("@")[1])).size).toBeLessThanOrEqual(2)
        const summary = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8"))
        expect(summary.tracking.mlflow).toMatchObject({ spooled: 0, dropped: 0 })
        // the artifacts users look for in the MLflow UI, uploaded through the server's artifact proxy
        for (const file of ["model/model.json", "model/weights.bin", "plots/loss.png", "report.html", "config.yaml", "eval.json", "summary.json"]) {
          expect(run1.artifacts.has(file), file).toBe(true)
        }
        expect(run1.artifacts.get("summary.json")?.toString("utf8")).toBe(readFileSync(join(runDir, "summary.json"), "utf8"))
        // checkpoints only when tracking.mlflow.log_checkpoints asks for them
        expect([...run1.artifacts.keys()].filter((k) => k.startsWith("checkpoints/"))).toEqual([])

        if (tensorBoardPython.python === null) {
          console.warn(`TensorBoard reader: ${tensorBoardPython.reason}`)
          return
        }
        const view = readWithTensorBoard(join(runDir, "tensorboard"))
        for (const [run, { tags }] of Object.entries(view)) {
          for (const [tag, steps] of Object.entries(tags)) expect(duplicates(steps), `${run} ${tag}`).toEqual([])
        }
        // histogram_every: 2 → epochs 2 and 4, each once
        expect(view["train"]!.tags["lstm_1/kernel"]).toEqual([2, 4])
        expect(view["validation"]!.tags["epoch_loss"]).toEqual([1, 2, 3, 4])
        // the plots as images at the last epoch, once (the resumed run's end replaced the first run's)
        expect(view["train"]!.tags["plots/loss"]).toEqual([4])
        expect(view["train"]!.tags["plots/forecast"]).toEqual([4])
        expect(view["train"]!.tags["keras"]).toEqual([0])
        // the model graph (Graphs tab) in the train run, once
        expect(view["train"]!.graph).toEqual(expect.arrayContaining(["input_1", "lstm_forecaster/lstm_2/LSTM", "lstm_forecaster/dense/BiasAdd"]))
        expect(view["."]!.graph).toBeNull()
        expect(view["."]!.hparams.session_end_status).toBe(1)
        expect(view["."]!.hparams.experiment_hparams).toContain("train.clip_norm")
      }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scopedLive("tracking.mlflow.log_checkpoints uploads the checkpoints directory as artifacts too", () =>
    Effect.gen(function*() {
      const server = yield* fakeMlflow()
      const out = tempDir()
      const outcome = yield* run(
        [outputDir(out), set("tracking.trackers", "[mlflow]"), set("tracking.mlflow.log_checkpoints", "true")],
        { mlflow: { uri: server.url } }
      )
      const runDir = outcome.location!.runDir
      const artifacts = server.onlyRun().artifacts
      const onDisk = (dir: string): ReadonlyArray<string> =>
        readdirSync(join(runDir, dir), { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? onDisk(join(dir, e.name)) : [join(dir, e.name).split(sep).join("/")]
        )
      const checkpoints = onDisk("checkpoints")
      expect(checkpoints.length).toBeGreaterThan(2)
      for (const file of checkpoints) {
        expect(artifacts.get(file)?.equals(readFileSync(join(runDir, file))), file).toBe(true)
      }
      expect(artifacts.has("model/model.json")).toBe(true)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("with MLflow's file store the artifacts are copied into the run's artifacts/ there, for `mlflow ui`", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const store = join(out, "mlruns")
      const outcome = yield* run([outputDir(out), set("tracking.trackers", "[mlflow]")], { mlflow: { uri: `file:${store}` } })
      const runDir = outcome.location!.runDir
      const stored = JSON.parse(readFileSync(join(runDir, "tracking", "mlflow.json"), "utf8"))
      const artifacts = join(store, stored.experiment_id, stored.run_id, "artifacts")
      expect(readFileSync(join(store, stored.experiment_id, stored.run_id, "meta.yaml"), "utf8")).toContain(`artifact_uri: 'file://${artifacts}'`)
      for (const file of ["model/model.json", "model/weights.bin", "plots/loss.png", "report.html", "config.yaml", "eval.json", "summary.json"]) {
        expect(readFileSync(join(artifacts, file)).equals(readFileSync(join(runDir, file))), file).toBe(true)
      }
      expect(readdirSync(join(artifacts, "model")).filter((f) => f.endsWith(".tmp"))).toEqual([])
    }))
})
