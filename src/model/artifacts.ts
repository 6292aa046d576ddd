import type { ModelSpec, NamedTensor } from "../engine/types.js"
import { buildKerasModel, loadTf, setKerasWeights } from "./keras.js"

/** A tfjs Layers model serialised in memory: the `model.json` text and its `weights.bin`. */
export interface ModelArtifacts {
  readonly modelJson: string
  readonly weights: Uint8Array
}

/**
 * Serialise the tfjs model of `spec` with `weights` in the format `tf.loadLayersModel` reads
 * (`model.json` naming one weights file, `weights.bin`), without touching the disk so the
 * caller decides where and how atomically it is written.
 */
export const modelArtifacts = async (spec: ModelSpec, weights: ReadonlyArray<NamedTensor>): Promise<ModelArtifacts> => {
  const tf = await loadTf()
  const model = buildKerasModel(tf, spec)
  try {
    setKerasWeights(tf, model, spec, weights)
    let captured: ModelArtifacts | undefined
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const data = artifacts.weightData
        const buffers = data === undefined ? [] : Array.isArray(data) ? data : [data]
        const bytes = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0))
        let offset = 0
        for (const buffer of buffers) {
          bytes.set(new Uint8Array(buffer), offset)
          offset += buffer.byteLength
        }
        captured = {
          modelJson: JSON.stringify({
            format: "layers-model",
            generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
            convertedBy: "lstm-pipeline",
            modelTopology: artifacts.modelTopology,
            weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }]
          }),
          weights: bytes
        }
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } }
      })
    )
    if (captured === undefined) throw new Error("tfjs did not hand over the model artifacts")
    return captured
  } finally {
    model.dispose()
  }
}
