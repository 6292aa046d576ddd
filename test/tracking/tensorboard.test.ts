import { fromBinary } from "@bufbuild/protobuf"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Data, Effect, Exit } from "effect"
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Event, EventSchema } from "../../src/tracking/proto/gen/tensorboard/event_pb.js"
import { GraphDefSchema } from "../../src/tracking/proto/gen/tensorboard/graph_pb.js"
import { DataType as HParamType, Status } from "../../src/tracking/proto/gen/tensorboard/hparams/api_pb.js"
import { HParamsPluginDataSchema } from "../../src/tracking/proto/gen/tensorboard/hparams/plugin_data_pb.js"
import type { Summary_Value } from "../../src/tracking/proto/gen/tensorboard/summary_pb.js"
import { DataType } from "../../src/tracking/proto/gen/tensorboard/types_pb.js"
import { histogramOf } from "../../src/tracking/histogram.js"
import { layerTensorBoard, type RunInfo, Tracker } from "../../src/tracking/index.js"
import { frameRecord, maskedCrc32c, readRecords, RecordCorrupt } from "../../src/tracking/tfrecord.js"

const infoFor = (runDir: string, overrides: Partial<RunInfo> = {}): RunInfo => ({
  experiment: "births",
  runName: "units-32",
  runDir,
  params: { "model.units": 32, "train.optimizer": "adam", "data.scale": true },
  configText: "model:\n  units: 32\n",
  tags: ["sweep"],
  resumed: false,
  ...overrides
})

/** Every event of the event files in `dir` (in name order, as TensorBoard reads them), decoded after checking framing and both CRCs. */
const eventsIn = (dir: string): ReadonlyArray<Event> => {
  const files = readdirSync(dir).filter((f) => f.startsWith("events.out.tfevents.")).sort()
  expect(files.length).toBeGreaterThanOrEqual(1)
  for (const file of files) expect(file).toMatch(/^events\.out\.tfevents\.\d{10}\.[^.]+(\.[^.]+)*(\.\d+\.\d+|\.session-end)$/)
  return files.flatMap((file) => readRecords(new Uint8Array(readFileSync(join(dir, file)))).map((r) => fromBinary(EventSchema, r)))
}

/** The statuses of every HParams session end in `dir`. */
const sessionEnds = (dir: string): ReadonlyArray<Status> =>
  valuesOf(eventsIn(dir)).flatMap(({ value }) => {
    if (value.tag !== "_hparams_/session_end_info") return []
    const data = fromBinary(HParamsPluginDataSchema, value.metadata!.pluginData!.content).data
    return data.case === "sessionEndInfo" ? [data.value.status] : []
  })

const valuesOf = (events: ReadonlyArray<Event>): ReadonlyArray<{ step: number; value: Summary_Value }> =>
  events.flatMap((e) => e.what.case === "summary" ? e.what.value.value.map((value) => ({ step: Number(e.step), value })) : [])

const scalars = (events: ReadonlyArray<Event>, tag: string): ReadonlyArray<[number, number]> =>
  valuesOf(events).flatMap(({ step, value }) =>
    value.tag === tag && value.value.case === "simpleValue" ? [[step, value.value.value] as [number, number]] : []
  )

const hparamsData = (events: ReadonlyArray<Event>, tag: string) => {
  const found = valuesOf(events).filter(({ value }) => value.tag === tag)
  expect(found).toHaveLength(1)
  const plugin = found[0]!.value.metadata?.pluginData
  expect(plugin?.pluginName).toBe("hparams")
  return fromBinary(HParamsPluginDataSchema, plugin!.content)
}

const training = Effect.gen(function*() {
  const tracker = yield* Tracker
  for (let step = 1; step <= 4; step++) {
    yield* tracker.logMetrics({ "train/loss": 1 / step, lr: 0.01, grad_norm: step }, step, "batch")
  }
  for (let epoch = 1; epoch <= 2; epoch++) {
    yield* tracker.logMetrics(
      { "train/loss": 0.5 / epoch, "val/loss": 0.7 / epoch, lr: 0.01, samples_per_s: 1000, epoch_time_s: 1.5 },
      epoch,
      "epoch"
    )
    yield* tracker.logHistograms({
      "lstm_1/kernel": new Float32Array([-1.5, -0.25, 0, 0.25, 0.5, 3, Number.NaN]),
      "grad/lstm_1/kernel": new Float32Array([1e-3, 2e-3])
    }, epoch)
  }
  yield* tracker.logText("model/summary", "LSTM(32) → Dense(1)", 2)
  yield* tracker.logMetrics({ "test/rmse": 12.5, "test/mae": 9.75 }, 2, "final")
})

class Diverged extends Data.TaggedError("Diverged")<{}> {}

describe("TFRecord framing", () => {
  it("masks CRC32C as TensorFlow does and detects corruption", () => {
    // CRC32C("123456789") is the standard check value 0xe3069283; TF masks it by rotating and adding.
    const crc = 0xe3069283
    expect(maskedCrc32c(new TextEncoder().encode("123456789"))).toBe((((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0)
    expect(maskedCrc32c(new Uint8Array())).toBe(0xa282ead8)
    const record = frameRecord(new TextEncoder().encode("hello"))
    expect(record.length).toBe(8 + 4 + 5 + 4)
    expect(new DataView(record.buffer).getBigUint64(0, true)).toBe(5n)
    expect(readRecords(record).map((r) => new TextDecoder().decode(r))).toEqual(["hello"])
    const corrupt = Uint8Array.from(record)
    corrupt[13] ^= 1
    expect(() => readRecords(corrupt)).toThrow(RecordCorrupt)
    const badLength = Uint8Array.from(record)
    badLength[0] = 6
    expect(() => readRecords(badLength)).toThrow(/length CRC mismatch/)
  })
})

describe("histogramOf", () => {
  it("uses TF's default bucket edges and collapses empty runs", () => {
    const h = histogramOf(new Float32Array([-1, 0, 0.5, 0.5, 2]))
    expect(h.num).toBe(5)
    expect(h.min).toBe(-1)
    expect(h.max).toBe(2)
    expect(h.sum).toBeCloseTo(2)
    expect(h.sumSquares).toBeCloseTo(1 + 0.25 + 0.25 + 4)
    expect(h.bucket.reduce((a, b) => a + b, 0)).toBe(5)
    for (let i = 1; i < h.bucketLimit.length; i++) expect(h.bucketLimit[i]!).toBeGreaterThan(h.bucketLimit[i - 1]!)
    // Each value lands in the first bucket whose upper limit exceeds it.
    const bucketOf = (v: number) => h.bucketLimit.findIndex((limit) => v < limit)
    expect(h.bucket[bucketOf(0.5)]).toBe(2)
    expect(h.bucket[bucketOf(-1)]).toBe(1)
    expect(h.bucket[bucketOf(0)]).toBe(1)
    // Edges are TF's 1e-12 * 1.1^k: the one just above 0.5 is 1e-12 * 1.1^283.
    expect(h.bucketLimit[bucketOf(0.5)]).toBeCloseTo(1e-12 * Math.pow(1.1, 283), 10)
    expect(h.bucketLimit[h.bucketLimit.length - 1]).toBe(Number.MAX_VALUE)
  })
})

describe("layerTensorBoard", () => {
  it.live("writes Keras-style train/validation runs, histograms, text and HParams", () =>
    Effect.gen(function*() {
      const runDir = mkdtempSync(join(tmpdir(), "tb-"))
      yield* Effect.provide(training, layerTensorBoard(infoFor(runDir), { histogramEvery: 2 }))
      const root = join(runDir, "tensorboard")
      const train = eventsIn(join(root, "train"))
      const validation = eventsIn(join(root, "validation"))
      const session = eventsIn(root)
      for (const events of [train, validation, session]) {
        expect(events[0]?.what).toEqual({ case: "fileVersion", value: "brain.Event:2" })
      }

      expect(scalars(train, "batch_loss").map(([s, v]) => [s, Number(v.toFixed(4))])).toEqual([
        [1, 1], [2, 0.5], [3, 0.3333], [4, 0.25]
      ])
      expect(scalars(train, "batch_lr").map(([s]) => s)).toEqual([1, 2, 3, 4])
      expect(scalars(train, "batch_grad_norm").map(([, v]) => v)).toEqual([1, 2, 3, 4])
      expect(scalars(train, "epoch_loss").map(([s, v]) => [s, Number(v.toFixed(4))])).toEqual([[1, 0.5], [2, 0.25]])
      expect(scalars(validation, "epoch_loss").map(([s, v]) => [s, Number(v.toFixed(4))])).toEqual([[1, 0.7], [2, 0.35]])
      expect(scalars(train, "lr").map(([s]) => s)).toEqual([1, 2])
      expect(scalars(train, "samples_per_s").map(([, v]) => v)).toEqual([1000, 1000])
      expect(scalars(train, "epoch_time_s").map(([, v]) => v)).toEqual([1.5, 1.5])
      expect(scalars(validation, "lr")).toEqual([])
      expect(scalars(session, "test/rmse")).toEqual([[2, 12.5]])
      expect(scalars(session, "test/mae")).toEqual([[2, 9.75]])

      // histogramEvery: 2 → only epoch 2; NaN is left out.
      const histos = valuesOf(train).filter(({ value }) => value.value.case === "histo")
      expect(histos.map(({ step, value }) => [step, value.tag])).toEqual([[2, "lstm_1/kernel"], [2, "grad/lstm_1/kernel"]])
      const kernel = histos[0]!.value.value
      if (kernel.case !== "histo") throw new Error("not a histogram")
      expect(kernel.value.num).toBe(6)
      expect(kernel.value.min).toBe(-1.5)
      expect(kernel.value.max).toBe(3)
      expect(kernel.value.sum).toBeCloseTo(2)
      expect(kernel.value.bucket.reduce((a, b) => a + b, 0)).toBe(6)
      expect(kernel.value.bucketLimit).toHaveLength(kernel.value.bucket.length)

      const texts = valuesOf(session).filter(({ value }) => value.metadata?.pluginData?.pluginName === "text")
      expect(texts.map(({ value }) => value.tag)).toEqual(["config", "model/summary"])
      const summaryText = texts[1]!.value.value
      if (summaryText.case !== "tensor") throw new Error("text is not a tensor")
      expect(summaryText.value.dtype).toBe(DataType.DT_STRING)
      expect(new TextDecoder().decode(summaryText.value.stringVal[0])).toBe("LSTM(32) → Dense(1)")

      const experiment = hparamsData(session, "_hparams_/experiment").data
      if (experiment.case !== "experiment") throw new Error("no experiment")
      expect(experiment.value.hparamInfos.map((h) => [h.name, h.type])).toEqual([
        ["model.units", HParamType.FLOAT64],
        ["train.optimizer", HParamType.STRING],
        ["data.scale", HParamType.BOOL]
      ])
      const metricInfos = experiment.value.metricInfos.map((m) => [m.displayName, m.name?.group, m.name?.tag])
      expect(metricInfos).toContainEqual(["test/rmse", "", "test/rmse"])
      expect(metricInfos).toContainEqual(["val/loss", "", "val/loss"])
      const start = hparamsData(session, "_hparams_/session_start_info").data
      if (start.case !== "sessionStartInfo") throw new Error("no session start")
      expect(start.value.hparams["model.units"]?.kind).toEqual({ case: "numberValue", value: 32 })
      expect(start.value.hparams["train.optimizer"]?.kind).toEqual({ case: "stringValue", value: "adam" })
      expect(start.value.hparams["data.scale"]?.kind).toEqual({ case: "boolValue", value: true })
      expect(start.value.groupName).toMatch(/^[0-9a-f]{64}$/)
      expect(start.value.startTimeSecs).toBeGreaterThan(1.6e9)
      const end = hparamsData(session, "_hparams_/session_end_info").data
      expect(end.case === "sessionEndInfo" && end.value.status).toBe(Status.SUCCESS)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.live("ends the HParams session as failure from the exit, and leaves an interrupted one open", () =>
    Effect.gen(function*() {
      const failedDir = mkdtempSync(join(tmpdir(), "tb-"))
      const failed = yield* Effect.exit(
        Effect.provide(Effect.zipRight(training, Effect.fail(new Diverged())), layerTensorBoard(infoFor(failedDir)))
      )
      expect(Exit.isFailure(failed)).toBe(true)
      const failedEnd = hparamsData(eventsIn(join(failedDir, "tensorboard")), "_hparams_/session_end_info").data
      expect(failedEnd.case === "sessionEndInfo" && failedEnd.value.status).toBe(Status.FAILURE)

      const interruptedDir = mkdtempSync(join(tmpdir(), "tb-"))
      yield* Effect.exit(Effect.provide(Effect.zipRight(training, Effect.interrupt), layerTensorBoard(infoFor(interruptedDir))))
      // not ended: `--resume` continues it (TensorBoard shows a session without an end as unknown)
      expect(sessionEnds(join(interruptedDir, "tensorboard"))).toEqual([])
      // Everything logged before the interrupt is on disk.
      expect(scalars(eventsIn(join(interruptedDir, "tensorboard", "validation")), "epoch_loss")).toHaveLength(2)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.live("a resumed run that succeeds ends its session SUCCESS, whether the first attempt was interrupted or failed", () =>
    Effect.gen(function*() {
      for (const first of [Effect.interrupt, Effect.fail(new Diverged())]) {
        const runDir = mkdtempSync(join(tmpdir(), "tb-"))
        yield* Effect.exit(Effect.provide(Effect.zipRight(training, first), layerTensorBoard(infoFor(runDir))))
        yield* Effect.provide(
          Effect.flatMap(Tracker, (t) => t.logMetrics({ "val/loss": 1 }, 3, "epoch")),
          layerTensorBoard(infoFor(runDir, { resumed: true }))
        )
        // TensorBoard's loaders keep the first session end they read: there must be one only
        expect(sessionEnds(join(runDir, "tensorboard"))).toEqual([Status.SUCCESS])
      }
    }).pipe(Effect.provide(NodeContext.layer)))

  it.live("a resumed run appends new files without a second session start", () =>
    Effect.gen(function*() {
      const runDir = mkdtempSync(join(tmpdir(), "tb-"))
      yield* Effect.provide(Effect.flatMap(Tracker, (t) => t.logMetrics({ "val/loss": 1 }, 3, "epoch")), layerTensorBoard(infoFor(runDir, { resumed: true })))
      const session = eventsIn(join(runDir, "tensorboard"))
      expect(valuesOf(session).map(({ value }) => value.tag)).toEqual(["_hparams_/session_end_info"])
      expect(scalars(eventsIn(join(runDir, "tensorboard", "validation")), "epoch_loss")).toEqual([[3, 1]])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.live("writes the model's graph once, at step 0 of the train run, as Keras does; a resumed run keeps it", () =>
    Effect.gen(function*() {
      const runDir = mkdtempSync(join(tmpdir(), "tb-"))
      const spec = { features: 3, lookback: 14, units: [16, 8], dropout: 0.2, outputs: 7 }
      yield* Effect.provide(Effect.flatMap(Tracker, (t) => t.logGraph(spec)), layerTensorBoard(infoFor(runDir)))
      yield* Effect.provide(Effect.flatMap(Tracker, (t) => t.logGraph(spec)), layerTensorBoard(infoFor(runDir, { resumed: true })))
      const graphs = eventsIn(join(runDir, "tensorboard", "train")).filter((e) => e.what.case === "graphDef")
      expect(graphs).toHaveLength(1)
      expect(graphs[0]!.step).toBe(0n)
      expect(eventsIn(join(runDir, "tensorboard")).filter((e) => e.what.case === "graphDef")).toEqual([])
      const bytes = graphs[0]!.what.case === "graphDef" ? graphs[0]!.what.value : new Uint8Array()
      const graph = fromBinary(GraphDefSchema, bytes)
      const byName = new Map(graph.node.map((n) => [n.name, n]))
      const edges = graph.node.flatMap((n) => n.input.map((from) => `${from} → ${n.name}`))
      const s = "lstm_forecaster"
      expect(edges).toEqual([
        `input_1 → ${s}/lstm_1/LSTM`,
        `${s}/lstm_1/kernel → ${s}/lstm_1/LSTM`,
        `${s}/lstm_1/recurrent_kernel → ${s}/lstm_1/LSTM`,
        `${s}/lstm_1/bias → ${s}/lstm_1/LSTM`,
        `${s}/lstm_1/LSTM → ${s}/dropout_1/Dropout`,
        `${s}/dropout_1/Dropout → ${s}/lstm_2/LSTM`,
        `${s}/lstm_2/kernel → ${s}/lstm_2/LSTM`,
        `${s}/lstm_2/recurrent_kernel → ${s}/lstm_2/LSTM`,
        `${s}/lstm_2/bias → ${s}/lstm_2/LSTM`,
        `${s}/lstm_2/LSTM → ${s}/dropout_2/Dropout`,
        `${s}/dropout_2/Dropout → ${s}/dense/MatMul`,
        `${s}/dense/kernel → ${s}/dense/MatMul`,
        `${s}/dense/MatMul → ${s}/dense/BiasAdd`,
        `${s}/dense/bias → ${s}/dense/BiasAdd`,
        `${s}/dense/BiasAdd → Identity`
      ])
      // every input names a node of the graph
      for (const node of graph.node) for (const from of node.input) expect(byName.has(from), from).toBe(true)
      const dims = (name: string, attr: string) => {
        const value = byName.get(name)?.attr[attr]?.value
        if (value?.case === "shape") return value.value.dim.map((d) => Number(d.size))
        if (value?.case === "list") return value.value.shape.map((sh) => sh.dim.map((d) => Number(d.size)))
        throw new Error(`${name} has no shape attr ${attr}`)
      }
      expect(dims("input_1", "shape")).toEqual([-1, 14, 3])
      expect(dims(`${s}/lstm_1/kernel`, "shape")).toEqual([3, 64])
      expect(dims(`${s}/lstm_2/recurrent_kernel`, "shape")).toEqual([8, 32])
      expect(dims(`${s}/lstm_1/LSTM`, "_output_shapes")).toEqual([[-1, 14, 16]])
      expect(dims(`${s}/lstm_2/LSTM`, "_output_shapes")).toEqual([[-1, 8]])
      expect(dims("Identity", "_output_shapes")).toEqual([[-1, 7]])
      expect(byName.get(`${s}/lstm_1/LSTM`)?.attr["return_sequences"]?.value).toEqual({ case: "b", value: true })
      expect(byName.get(`${s}/lstm_2/LSTM`)?.attr["units"]?.value).toEqual({ case: "i", value: 8n })
      expect(byName.get(`${s}/dropout_1/Dropout`)?.attr["rate"]?.value.value).toBeCloseTo(0.2)
    }).pipe(Effect.provide(NodeContext.layer)))
})
