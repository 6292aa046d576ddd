import { create, toBinary } from "@bufbuild/protobuf"
import { FileSystem, Path } from "@effect/platform"
import { Clock, Effect } from "effect"
import { hostname } from "node:os"
import { EventSchema } from "./proto/gen/tensorboard/event_pb.js"
import { DataClass, Summary_ValueSchema } from "./proto/gen/tensorboard/summary_pb.js"
import { DataType } from "./proto/gen/tensorboard/types_pb.js"
import { toTrackerError } from "./Sink.js"
import { frameRecord } from "./tfrecord.js"

/** The run's plots and the tags they get in TensorBoard's Images tab. */
export const plotImages = [
  { file: "plots/loss.png", tag: "plots/loss" },
  { file: "plots/forecast.png", tag: "plots/forecast" },
  { file: "plots/series_mase.png", tag: "plots/series_mase" },
  { file: "plots/series.png", tag: "plots/series" },
  { file: "plots/horizon.png", tag: "plots/horizon" }
] as const

/** Width and height from a PNG's IHDR chunk; undefined when it is not a PNG. */
export const pngSize = (png: Uint8Array): { readonly width: number; readonly height: number } | undefined => {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
  if (png.length < 24 || signature.some((b, i) => png[i] !== b)) return undefined
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  return { width: view.getUint32(16), height: view.getUint32(20) }
}

const encoder = new TextEncoder()

/** One event with an image summary as `tf.summary.image` writes it: a string tensor [width, height, png]. */
const imageEvent = (wallTime: number, step: number, tag: string, png: Uint8Array, size: { width: number; height: number }) =>
  frameRecord(toBinary(
    EventSchema,
    create(EventSchema, {
      wallTime,
      step: BigInt(step),
      what: {
        case: "summary",
        value: {
          value: [create(Summary_ValueSchema, {
            tag,
            metadata: { pluginData: { pluginName: "images" }, dataClass: DataClass.BLOB_SEQUENCE },
            value: {
              case: "tensor",
              value: {
                dtype: DataType.DT_STRING,
                tensorShape: { dim: [{ size: 3n }] },
                stringVal: [encoder.encode(String(size.width)), encoder.encode(String(size.height)), png]
              }
            }
          })]
        }
      }
    })
  ))

/**
 * The exported model's Keras config (`model/model.json`'s topology, which is what Keras'
 * `model.to_json()` gives) as the summary Keras' TensorBoard callback writes for the Graphs tab's
 * conceptual graph: tag `keras`, plugin `graph_keras_model`, at step 0.
 */
const kerasModelEvent = (wallTime: number, modelJson: string): Uint8Array | undefined => {
  let topology: unknown
  try {
    const parsed: unknown = JSON.parse(modelJson)
    topology = typeof parsed === "object" && parsed !== null && "modelTopology" in parsed ? parsed.modelTopology : undefined
  } catch {
    return undefined
  }
  if (typeof topology !== "object" || topology === null) return undefined
  return frameRecord(toBinary(
    EventSchema,
    create(EventSchema, {
      wallTime,
      step: 0n,
      what: {
        case: "summary",
        value: {
          value: [create(Summary_ValueSchema, {
            tag: "keras",
            metadata: { pluginData: { pluginName: "graph_keras_model", content: encoder.encode("1") } },
            value: { case: "tensor", value: { dtype: DataType.DT_STRING, tensorShape: {}, stringVal: [encoder.encode(JSON.stringify(topology))] } }
          })]
        }
      }
    })
  ))
}

/**
 * At the end of a run: its plots (loss curve, forecast vs actual) as images of the TensorBoard
 * train run at `step`, and the exported model's Keras config as the conceptual graph, in an
 * event file of their own (written atomically). Returns the tags written.
 */
export const writePlotImages = Effect.fn("Tracking.writePlotImages")(function*(runDir: string, step: number) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const dir = path.join(runDir, "tensorboard", "train")
  const fail = toTrackerError("tensorboard", dir)
  const wall = (yield* Clock.currentTimeMillis) / 1000
  const chunks: Array<Uint8Array> = []
  const tags: Array<string> = []
  for (const plot of plotImages) {
    const png = yield* fs.readFile(path.join(runDir, plot.file)).pipe(Effect.orElseSucceed(() => undefined))
    const size = png === undefined ? undefined : pngSize(png)
    if (png === undefined || size === undefined) continue
    chunks.push(imageEvent(wall, step, plot.tag, png, size))
    tags.push(plot.tag)
  }
  const model = yield* fs.readFileString(path.join(runDir, "model", "model.json")).pipe(Effect.orElseSucceed(() => undefined))
  const keras = model === undefined ? undefined : kerasModelEvent(wall, model)
  if (keras !== undefined) {
    chunks.push(keras)
    tags.push("keras")
  }
  if (chunks.length === 0) return tags
  const version = frameRecord(toBinary(EventSchema, create(EventSchema, { wallTime: wall, what: { case: "fileVersion", value: "brain.Event:2" } })))
  const bytes = Buffer.concat([version, ...chunks])
  const temp = path.join(dir, `.plots-${process.pid}.tmp`)
  yield* fs.makeDirectory(dir, { recursive: true }).pipe(Effect.mapError(fail))
  yield* fs.writeFile(temp, bytes).pipe(Effect.mapError(fail))
  // one file per run end: a resumed run's end replaces the plots of the earlier one
  for (const name of yield* fs.readDirectory(dir).pipe(Effect.mapError(fail))) {
    if (name.endsWith(".plots")) yield* fs.remove(path.join(dir, name)).pipe(Effect.mapError(fail))
  }
  yield* fs.rename(temp, path.join(dir, `events.out.tfevents.${Math.floor(wall)}.${hostname()}.plots`)).pipe(Effect.mapError(fail))
  return tags
})
