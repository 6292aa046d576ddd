import type { ModelSpec, NamedTensor } from "./spec.js"
import { type ModelArtifacts, serializeModel } from "./export.js"
import { buildKerasModel, loadTf, setKerasWeights } from "./keras.js"

/** The tfjs model of `spec` with `weights`, serialised in memory (`model.json` + `weights.bin`). */
export const modelArtifacts = async (spec: ModelSpec, weights: ReadonlyArray<NamedTensor>): Promise<ModelArtifacts> => {
  const tf = await loadTf()
  const model = buildKerasModel(tf, spec)
  try {
    setKerasWeights(tf, model, spec, weights)
    return await serializeModel(model)
  } finally {
    model.dispose()
  }
}
