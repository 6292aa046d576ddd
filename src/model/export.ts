import { Schema } from "effect"
import type * as TfModule from "@tensorflow/tfjs"
import { open, readFile, rename, rm, mkdir } from "node:fs/promises"
import { join } from "node:path"
import type { Tf } from "./keras.js"

/** File names of a saved model inside its directory. */
export const MODEL_JSON = "model.json"
export const WEIGHTS_BIN = "weights.bin"

const writeDurably = async (path: string, data: Uint8Array): Promise<void> => {
  const fh = await open(path, "w")
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
}

const concat = (data: ArrayBuffer | ReadonlyArray<ArrayBuffer>): Uint8Array => {
  const parts = Array.isArray(data) ? data : [data]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let off = 0
  for (const p of parts) {
    out.set(new Uint8Array(p), off)
    off += p.byteLength
  }
  return out
}

/** A model serialised in memory: the `model.json` text and the `weights.bin` it names. */
export interface ModelArtifacts {
  readonly modelJson: string
  readonly weights: Uint8Array
}

/**
 * Serialises a LayersModel in the tfjs layers-model format (`model.json` naming one
 * `weights.bin`) without touching the disk, so the caller decides where and how atomically.
 */
export const serializeModel = async (model: TfModule.LayersModel): Promise<ModelArtifacts> => {
  let captured: ModelArtifacts | undefined
  await model.save({
    save: async (artifacts) => {
      if (artifacts.weightSpecs === undefined || artifacts.weightData === undefined) throw new Error("model has no weights to save")
      const weights = concat(artifacts.weightData)
      const json = {
        modelTopology: artifacts.modelTopology,
        format: "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? "lstm-pipeline",
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs }]
      }
      captured = { modelJson: JSON.stringify(json), weights }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON", weightDataBytes: weights.byteLength } }
    }
  })
  if (captured === undefined) throw new Error("tfjs did not hand over the model artifacts")
  return captured
}

/**
 * Saves a LayersModel as `model.json` + `weights.bin` in `dir` (the tfjs layers-model format
 * tf.loadLayersModel reads), with pure @tensorflow/tfjs: each file is written to a temporary
 * name, fsynced, then renamed, weights first, so a reader never sees a torn model.
 */
export const saveLayersModel = async (model: TfModule.LayersModel, dir: string): Promise<void> => {
  const { modelJson, weights } = await serializeModel(model)
  await mkdir(dir, { recursive: true })
  const suffix = `.tmp-${process.pid}`
  try {
    await writeDurably(join(dir, WEIGHTS_BIN + suffix), weights)
    await writeDurably(join(dir, MODEL_JSON + suffix), new TextEncoder().encode(modelJson))
    await rename(join(dir, WEIGHTS_BIN + suffix), join(dir, WEIGHTS_BIN))
    await rename(join(dir, MODEL_JSON + suffix), join(dir, MODEL_JSON))
  } catch (e: unknown) {
    await rm(join(dir, WEIGHTS_BIN + suffix), { force: true })
    await rm(join(dir, MODEL_JSON + suffix), { force: true })
    throw e
  }
}

interface SavedModelJson {
  readonly modelTopology: object
  readonly weightsManifest: ReadonlyArray<{ readonly paths: ReadonlyArray<string>; readonly weights: Array<TfModule.io.WeightsManifestEntry> }>
  readonly format?: string
  readonly generatedBy?: string
  readonly convertedBy?: string | null
}

const isSavedModelJson = (u: unknown): u is SavedModelJson =>
  typeof u === "object" && u !== null && "modelTopology" in u && typeof u.modelTopology === "object" && u.modelTopology !== null &&
  "weightsManifest" in u && Array.isArray(u.weightsManifest)

/** Loads a model saved by saveLayersModel with tf.loadLayersModel through a node:fs IOHandler. */
export const loadLayersModel = async (tf: Tf, dir: string): Promise<TfModule.LayersModel> =>
  tf.loadLayersModel({
    load: async () => {
      const parsed: unknown = JSON.parse(await readFile(join(dir, MODEL_JSON), "utf8"))
      if (!isSavedModelJson(parsed)) throw new Error(`${join(dir, MODEL_JSON)} is not a tfjs layers model`)
      const buffers: Array<Uint8Array> = []
      const weightSpecs: Array<TfModule.io.WeightsManifestEntry> = []
      for (const group of parsed.weightsManifest) {
        for (const p of group.paths) buffers.push(await readFile(join(dir, p)))
        weightSpecs.push(...group.weights)
      }
      const bytes = concat(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer))
      return {
        modelTopology: parsed.modelTopology,
        weightSpecs,
        weightData: bytes.buffer as ArrayBuffer,
        format: parsed.format ?? "layers-model",
        generatedBy: parsed.generatedBy ?? "lstm-pipeline",
        convertedBy: parsed.convertedBy ?? null
      }
    }
  })

/** tfjs could not build or serialise the model. */
export class ExportFailed extends Schema.TaggedError<ExportFailed>()("ExportFailed", { reason: Schema.String }) {
  override get message(): string {
    return `the model could not be exported: ${this.reason}`
  }
}
