import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf"
import { type Value, ValueSchema } from "@bufbuild/protobuf/wkt"
import { FileSystem, Path } from "@effect/platform"
import { Clock, Deferred, Effect, Layer, Queue } from "effect"
import { createHash } from "node:crypto"
import { hostname } from "node:os"
import { layerFromSpecs } from "./FanOut.js"
import { histogramOf } from "./histogram.js"
import { modelGraphDef } from "./modelGraph.js"
import { EventSchema } from "./proto/gen/tensorboard/event_pb.js"
import { GraphDefSchema } from "./proto/gen/tensorboard/graph_pb.js"
import {
  DatasetType,
  DataType as HParamType,
  ExperimentSchema,
  Status
} from "./proto/gen/tensorboard/hparams/api_pb.js"
import { HParamsPluginDataSchema } from "./proto/gen/tensorboard/hparams/plugin_data_pb.js"
import { DataClass, type Summary_Value, Summary_ValueSchema } from "./proto/gen/tensorboard/summary_pb.js"
import { DataType } from "./proto/gen/tensorboard/types_pb.js"
import { type Call, type SinkSpec, toTrackerError, type TrackerError } from "./Sink.js"
import { frameRecord } from "./tfrecord.js"
import type { Params, RunInfo, RunStatus, Tracker } from "./Tracker.js"

/** The three event-file directories of a run, as TensorBoard runs. */
export type TensorBoardRun = "session" | "train" | "validation"

/** A metric the HParams tab compares, by our tag name and the kind it is logged with. */
export interface HParamsMetric {
  readonly name: string
  readonly kind: "epoch" | "final"
}

/** TensorBoard backend options. */
export interface TensorBoardOptions {
  /** Write histograms when `step % histogramEvery === 0`; 0 disables them. Default 1. */
  readonly histogramEvery?: number
  /** Metrics listed in the HParams experiment. */
  readonly hparamsMetrics?: ReadonlyArray<HParamsMetric>
}

/** Metrics a sweep is compared on by default. */
export const defaultHParamsMetrics: ReadonlyArray<HParamsMetric> = [
  { name: "test/rmse", kind: "final" },
  { name: "test/mae", kind: "final" },
  { name: "val/rmse", kind: "final" },
  // the kept model's (the best epoch's when early stopping restores it), not the last epoch's
  { name: "val/loss", kind: "final" },
  { name: "train/loss", kind: "epoch" }
]

/** HParams plugin tags (tensorboard/plugins/hparams/metadata.py). */
export const hparamsTags = {
  experiment: "_hparams_/experiment",
  sessionStart: "_hparams_/session_start_info",
  sessionEnd: "_hparams_/session_end_info"
} as const

/**
 * Where a metric goes, Keras style: train and validation are separate runs sharing tags
 * (`train/loss` → train `epoch_loss`, `val/loss` → validation `epoch_loss`), batch metrics are
 * `batch_*` in train, other epoch metrics keep their name in train, and final metrics (test and
 * validation scores) go to the session run, where the HParams tab looks for them.
 */
export const routeMetric = (
  name: string,
  kind: "batch" | "epoch" | "final"
): { readonly run: TensorBoardRun; readonly tag: string } => {
  if (kind === "final") return { run: "session", tag: name }
  const split = name.match(/^(train|val|validation)\/(.+)$/)
  const run: TensorBoardRun = split !== null && split[1] !== "train" ? "validation" : "train"
  const base = split !== null ? split[2]! : name
  if (kind === "batch") return { run, tag: `batch_${base}` }
  return split !== null ? { run, tag: `epoch_${base}` } : { run, tag: name }
}

/** TensorBoard's "hparams" value for a session: `_hparams_/session_end_info` maps run status thus. */
export const sessionStatus = (status: RunStatus): Status =>
  // An interrupted run may be resumed and finish later: it neither succeeded nor failed.
  status === "success" ? Status.SUCCESS : status === "failed" ? Status.FAILURE : Status.UNKNOWN

let fileCounter = 0

const eventFileName = (wallTimeSecs: number): string =>
  `events.out.tfevents.${Math.floor(wallTimeSecs)}.${hostname()}.${process.pid}.${fileCounter++}`

/**
 * The session end lives in a file of its own, so that a resumed run can replace it: TensorBoard's
 * loaders keep the first session end they read, and event files can only be appended to.
 */
const sessionEndSuffix = ".session-end"

const sessionEndFileName = (wallTimeSecs: number): string =>
  `events.out.tfevents.${Math.floor(wallTimeSecs)}.${hostname()}${sessionEndSuffix}`

type Write =
  | { readonly _tag: "record"; readonly run: TensorBoardRun; readonly bytes: Uint8Array }
  | { readonly _tag: "flush"; readonly done: Deferred.Deferred<void, TrackerError> }

const event = (wallTime: number, step: number, what: MessageInitShape<typeof EventSchema>["what"]): Uint8Array =>
  frameRecord(toBinary(EventSchema, create(EventSchema, { wallTime, step: BigInt(Math.trunc(step)), what })))

const summaryEvent = (wallTime: number, step: number, values: ReadonlyArray<Summary_Value>): Uint8Array =>
  event(wallTime, step, { case: "summary", value: { value: [...values] } })

const scalar = (tag: string, value: number): Summary_Value =>
  create(Summary_ValueSchema, { tag, value: { case: "simpleValue", value } })

const textValue = (tag: string, text: string): Summary_Value =>
  create(Summary_ValueSchema, {
    tag,
    metadata: { pluginData: { pluginName: "text" }, dataClass: DataClass.TENSOR },
    value: {
      case: "tensor",
      value: { dtype: DataType.DT_STRING, tensorShape: {}, stringVal: [new TextEncoder().encode(text)] }
    }
  })

const hparamsValue = (tag: string, data: MessageInitShape<typeof HParamsPluginDataSchema>["data"]): Summary_Value =>
  create(Summary_ValueSchema, {
    tag,
    metadata: {
      pluginData: {
        pluginName: "hparams",
        content: toBinary(HParamsPluginDataSchema, create(HParamsPluginDataSchema, { version: 0, data }))
      }
    },
    // The plugin reads the metadata; the tensor is TensorBoard's NULL_TENSOR (a float 0).
    value: { case: "tensor", value: { dtype: DataType.DT_FLOAT, tensorShape: {}, floatVal: [0] } }
  })

const hparamValue = (v: string | number | boolean): Value =>
  create(ValueSchema, {
    kind: typeof v === "number"
      ? { case: "numberValue", value: v }
      : typeof v === "boolean"
      ? { case: "boolValue", value: v }
      : { case: "stringValue", value: v }
  })

const hparamType = (v: string | number | boolean): HParamType =>
  typeof v === "number" ? HParamType.FLOAT64 : typeof v === "boolean" ? HParamType.BOOL : HParamType.STRING

/** Runs with the same hyperparameters share a group (repeats of one configuration). */
const groupName = (params: Params): string =>
  createHash("sha256")
    .update(JSON.stringify(Object.keys(params).sort().map((k) => [k, params[k]])))
    .digest("hex")

const experimentValue = (params: Params, metrics: ReadonlyArray<HParamsMetric>, now: number): Summary_Value =>
  hparamsValue(hparamsTags.experiment, {
    case: "experiment",
    value: create(ExperimentSchema, {
      timeCreatedSecs: now,
      hparamInfos: Object.entries(params).map(([name, v]) => ({ name, type: hparamType(v) })),
      metricInfos: metrics.map((metric) => {
        const { run, tag } = routeMetric(metric.name, metric.kind)
        return {
          name: { group: run === "session" ? "" : run, tag },
          displayName: metric.name,
          datasetType: run === "train"
            ? DatasetType.DATASET_TRAINING
            : run === "validation"
            ? DatasetType.DATASET_VALIDATION
            : DatasetType.DATASET_UNKNOWN
        }
      })
    })
  })

const sessionStartValue = (params: Params, now: number): Summary_Value =>
  hparamsValue(hparamsTags.sessionStart, {
    case: "sessionStartInfo",
    value: {
      hparams: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, hparamValue(v)])),
      groupName: groupName(params),
      startTimeSecs: now
    }
  })

const sessionEndValue = (status: RunStatus, now: number): Summary_Value =>
  hparamsValue(hparamsTags.sessionEnd, {
    case: "sessionEndInfo",
    value: { status: sessionStatus(status), endTimeSecs: now }
  })

const histoInit = (data: Float32Array) => {
  const h = histogramOf(data)
  return { ...h, bucketLimit: [...h.bucketLimit], bucket: [...h.bucket] }
}

const paramsMarkdown = (params: Params): string =>
  ["| param | value |", "|---|---|", ...Object.entries(params).map(([k, v]) => `| ${k} | ${String(v)} |`)].join("\n")

/**
 * Event files under `<runDir>/tensorboard/`: `train/` and `validation/` hold the curves (Keras
 * layout); the directory itself is the HParams session (experiment, session start and end,
 * final metrics, text). Writes go through a bounded queue to one writer fiber.
 */
export const tensorBoardSpec = (
  info: RunInfo,
  options: TensorBoardOptions = {}
): Effect.Effect<SinkSpec, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const root = path.join(info.runDir, "tensorboard")
    const fail = toTrackerError("tensorboard", root)
    const histogramEvery = options.histogramEvery ?? 1
    const metrics = options.hparamsMetrics ?? defaultHParamsMetrics
    return {
      name: "tensorboard",
      remote: false,
      appendOnly: true,
      accepts: ["params", "graph", "metrics", "histograms", "text"],
      open: Effect.gen(function*() {
        const now = (yield* Clock.currentTimeMillis) / 1000
        const removeSessionEnds = Effect.gen(function*() {
          if (!(yield* fs.exists(root))) return
          for (const name of yield* fs.readDirectory(root)) {
            if (name.endsWith(sessionEndSuffix)) yield* fs.remove(path.join(root, name), { force: true })
          }
        }).pipe(Effect.mapError(fail))
        // a resumed run is running again: the end of an earlier attempt no longer holds
        if (info.resumed) yield* removeSessionEnds
        const dirs: Record<TensorBoardRun, string> = {
          session: root,
          train: path.join(root, "train"),
          validation: path.join(root, "validation")
        }
        const runs: ReadonlyArray<TensorBoardRun> = ["session", "train", "validation"]
        const files = yield* Effect.forEach(runs, (run) =>
          Effect.gen(function*() {
            yield* fs.makeDirectory(dirs[run], { recursive: true })
            return yield* fs.open(path.join(dirs[run], eventFileName(now)), { flag: "w" })
          })).pipe(Effect.mapError(fail))
        const fileOf = (run: TensorBoardRun) => files[runs.indexOf(run)]!

        const queue = yield* Queue.bounded<Write>(1024)
        let writeError: TrackerError | undefined
        const writeAll = (pending: Map<TensorBoardRun, Array<Uint8Array>>) =>
          Effect.forEach(pending, ([run, chunks]) => {
            const size = chunks.reduce((n, c) => n + c.length, 0)
            const joined = new Uint8Array(size)
            let at = 0
            for (const c of chunks) {
              joined.set(c, at)
              at += c.length
            }
            return fileOf(run).writeAll(joined)
          }, { discard: true }).pipe(Effect.mapError(fail))
        const writer = Effect.gen(function*() {
          while (true) {
            const jobs = yield* Queue.takeBetween(queue, 1, 1024)
            let pending = new Map<TensorBoardRun, Array<Uint8Array>>()
            const drain = Effect.suspend(() => {
              const batch = pending
              pending = new Map()
              return writeAll(batch).pipe(Effect.catchAll((e) =>
                Effect.sync(() => {
                  writeError ??= e
                })
              ))
            })
            for (const job of jobs) {
              if (job._tag === "record") {
                const list = pending.get(job.run) ?? []
                list.push(job.bytes)
                pending.set(job.run, list)
                continue
              }
              yield* drain
              yield* Effect.forEach(files, (f) => f.sync, { discard: true }).pipe(
                Effect.catchAll((e) => Effect.sync(() => void (writeError ??= fail(e))))
              )
              const error = writeError
              writeError = undefined
              yield* error === undefined ? Deferred.succeed(job.done, undefined) : Deferred.fail(job.done, error)
            }
            yield* drain
          }
        })
        yield* Effect.forkScoped(Effect.interruptible(writer))

        const put = (run: TensorBoardRun, bytes: Uint8Array) => Queue.offer(queue, { _tag: "record", run, bytes })
        const flush = Effect.gen(function*() {
          const done = yield* Deferred.make<void, TrackerError>()
          yield* Queue.offer(queue, { _tag: "flush", done })
          yield* Deferred.await(done)
        })

        for (const run of runs) yield* put(run, event(now, 0, { case: "fileVersion", value: "brain.Event:2" }))
        if (!info.resumed) {
          // A resumed run keeps the session start of its first attempt (TensorBoard keeps the first).
          yield* put("session", summaryEvent(now, 0, [experimentValue(info.params, metrics, now), sessionStartValue(info.params, now)]))
          if (info.configText !== "") {
            yield* put("session", summaryEvent(now, 0, [textValue("config", "```yaml\n" + info.configText + "\n```")]))
          }
        }

        const writeCall = (call: Call): Effect.Effect<void> => {
          const wall = call.time / 1000
          switch (call._tag) {
            case "metrics": {
              const byRun = new Map<TensorBoardRun, Array<Summary_Value>>()
              for (const [name, value] of Object.entries(call.metrics)) {
                const { run, tag } = routeMetric(name, call.kind)
                byRun.set(run, [...(byRun.get(run) ?? []), scalar(tag, value)])
              }
              return Effect.forEach(byRun, ([run, values]) => put(run, summaryEvent(wall, call.step, values)), {
                discard: true
              })
            }
            case "histograms": {
              if (histogramEvery <= 0 || call.step % histogramEvery !== 0) return Effect.void
              const values = Object.entries(call.values).map(([tag, data]) =>
                create(Summary_ValueSchema, { tag, value: { case: "histo", value: histoInit(data) } })
              )
              return values.length === 0 ? Effect.void : put("train", summaryEvent(wall, call.step, values))
            }
            case "text":
              return put("session", summaryEvent(wall, call.step, [textValue(call.tag, call.text)]))
            case "tags":
              return Effect.void
            case "graph":
              // Keras writes the graph at step 0 of the train run; a resumed run keeps its first attempt's
              return info.resumed
                ? Effect.void
                : put("train", event(wall, 0, { case: "graphDef", value: toBinary(GraphDefSchema, modelGraphDef(call.spec)) }))
            case "params":
              // a resumed run keeps its first attempt's params text, as it keeps its session start
              return info.resumed
                ? Effect.void
                : put("session", summaryEvent(wall, 0, [textValue("params", paramsMarkdown(call.params))]))
          }
        }

        return {
          write: (calls) => Effect.forEach(calls, writeCall, { discard: true }),
          flush,
          close: (status) =>
            Effect.gen(function*() {
              yield* flush
              // an interrupted run has not ended: `--resume` continues it, and its end is written then
              if (status === "interrupted") return
              const end = (yield* Clock.currentTimeMillis) / 1000
              const bytes = new Uint8Array([
                ...event(end, 0, { case: "fileVersion", value: "brain.Event:2" }),
                ...summaryEvent(end, 0, [sessionEndValue(status, end)])
              ])
              const temp = path.join(root, `.session-end-${process.pid}.tmp`)
              yield* removeSessionEnds
              yield* fs.writeFile(temp, bytes).pipe(Effect.mapError(fail))
              yield* fs.rename(temp, path.join(root, sessionEndFileName(end))).pipe(Effect.mapError(fail))
            })
        }
      })
    }
  })

/** Writes TensorBoard event files (scalars, histograms, text, HParams, the model graph) under `<runDir>/tensorboard/`. */
export const layerTensorBoard = (
  info: RunInfo,
  options: TensorBoardOptions = {}
): Layer.Layer<Tracker, never, FileSystem.FileSystem | Path.Path> =>
  Layer.unwrapEffect(Effect.map(tensorBoardSpec(info, options), (spec) => layerFromSpecs([spec])))
