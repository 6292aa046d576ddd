import { Effect, Schema } from "effect"
import { type Dataset, DatasetManifest } from "../data/Dataset.js"
import { modelArtifacts } from "../model/artifacts.js"
import { EvalReport, type Evaluation, predictionsCsv } from "./Evaluate.js"
import type { Stage } from "./Stage.js"
import type { TrainedModel } from "./Train.js"

/** Everything Persist exports. */
export interface PersistInput {
  readonly dataset: Dataset
  readonly model: TrainedModel
  readonly evaluation: Evaluation
}

/** Files persisted into the run directory, by path relative to it (`model/model.json`, `eval.json`, ...). */
export interface PersistedModel {
  readonly files: ReadonlyArray<{ readonly name: string; readonly data: Uint8Array }>
}

/** `model/preprocessing.json`: what `pipeline predict` needs besides the network. */
export const Preprocessing = Schema.Struct({
  manifest: DatasetManifest,
  weights_sha256: Schema.String,
  engine: Schema.String
})

/** Persist's failure: tfjs could not build or serialise the model. */
export class ExportFailed extends Schema.TaggedError<ExportFailed>()("ExportFailed", { reason: Schema.String }) {}

const encoder = new TextEncoder()

/**
 * Build the tfjs Layers model from the trained weights and serialise it (`model.json` +
 * `weights.bin`), with the scaler and feature spec beside it, plus the evaluation's report and
 * test forecasts: everything the run directory gets from the stages.
 */
export const persist = (input: PersistInput) =>
  Effect.gen(function*() {
    const { model, dataset, evaluation } = input
    const artifacts = yield* Effect.tryPromise({
      try: () => modelArtifacts(model.spec, model.weights),
      catch: (e) => new ExportFailed({ reason: e instanceof Error ? e.message : String(e) })
    })
    const preprocessing = Schema.encodeSync(Preprocessing)({
      manifest: dataset.manifest,
      weights_sha256: model.weightsSha256,
      engine: model.engine
    })
    return {
      files: [
        { name: "model/model.json", data: encoder.encode(artifacts.modelJson) },
        { name: "model/weights.bin", data: artifacts.weights },
        { name: "model/preprocessing.json", data: encoder.encode(JSON.stringify(preprocessing, null, 2) + "\n") },
        { name: "eval.json", data: encoder.encode(JSON.stringify(Schema.encodeSync(EvalReport)(evaluation.report), null, 2) + "\n") },
        { name: "predictions/test.csv", data: encoder.encode(predictionsCsv(evaluation.testPredictions)) }
      ]
    } satisfies PersistedModel
  })

/** Bump when Persist's output for the same inputs changes. */
export const persistVersion = 1

/** Persist reads no config of its own: its key is its upstream outputs. */
export const persistReads = {}

/** The Persist stage: cached on the trained model, the dataset and the evaluation it exports. */
export const Persist = <E, R>(
  run: (input: PersistInput) => Effect.Effect<PersistedModel, E, R>
): Stage<PersistInput, PersistedModel, E, R, unknown> => ({
  name: "persist",
  version: persistVersion,
  reads: () => persistReads,
  run,
  // cache file names are flat: "model/model.json" is stored as "model__model.json"
  encode: (persisted) => ({ files: persisted.files.map((f) => ({ name: f.name.replaceAll("/", "__"), data: f.data })), meta: {} }),
  decode: (entry) =>
    Effect.map(
      Effect.forEach(entry.names, (name) => Effect.map(entry.files(name), (data) => ({ name: name.replaceAll("__", "/"), data }))),
      (files) => ({ files })
    )
})
