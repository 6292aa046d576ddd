import { Effect, Schema } from "effect"
import { EvalReport } from "../evaluate/evaluate.js"
import { modelArtifacts } from "../model/artifacts.js"
import { ExportFailed } from "../model/export.js"
import { Preprocessing, RunFiles } from "../rundir/files.js"
import { requireActiveRun } from "../resume/ActiveRun.js"
import { Evaluate } from "./Evaluate.js"
import { PrepareData } from "./PrepareData.js"
import type { Stage } from "./Stage.js"
import { Train } from "./Train.js"

/** Files persisted into the run directory, by path relative to it (`model/model.json`, `eval.json`, ...). */
export interface PersistedModel {
  readonly files: ReadonlyArray<{ readonly name: string; readonly data: Uint8Array }>
}

const encoder = new TextEncoder()

/**
 * Persist: the tfjs Layers model built from the trained weights and serialised (`model.json` +
 * `weights.bin`), the scaler and feature spec beside it, the evaluation report and the test
 * forecasts — everything the run directory gets from the stages. Cached on its upstream outputs;
 * written into every run, cached or not.
 */
export const Persist: Stage<PersistedModel, { readonly data: typeof PrepareData; readonly model: typeof Train; readonly evaluation: typeof Evaluate }> = {
  name: "persist",
  version: 3,
  needs: { data: PrepareData, model: Train, evaluation: Evaluate },
  inRun: true,
  reads: () => Effect.succeed({}),
  run: ({ data, model, evaluation }) =>
    Effect.gen(function*() {
      const artifacts = yield* Effect.tryPromise({
        try: () => modelArtifacts(model.spec, model.weights),
        catch: (e) => new ExportFailed({ reason: e instanceof Error ? e.message : String(e) })
      })
      const preprocessing = Schema.encodeSync(Preprocessing)({ manifest: data.manifest, weights_sha256: model.weightsSha256, engine: model.engine })
      return {
        files: [
          { name: RunFiles.modelJson, data: encoder.encode(artifacts.modelJson) },
          { name: RunFiles.modelWeights, data: artifacts.weights },
          { name: RunFiles.preprocessing, data: encoder.encode(JSON.stringify(preprocessing, null, 2) + "\n") },
          { name: RunFiles.eval, data: encoder.encode(JSON.stringify(Schema.encodeSync(EvalReport)(evaluation.report), null, 2) + "\n") }
        ]
      }
    }),
  publish: (persisted, _cached, { evaluation }) =>
    Effect.flatMap(requireActiveRun, ({ dir }) =>
      Effect.zipRight(
        Effect.forEach(persisted.files, (file) => dir.write(file.name, file.data), { discard: true }),
        dir.writePredictions(evaluation.testPredictions)
      )),
  // cache file names are flat: "model/model.json" is stored as "model__model.json"
  encode: (persisted) => ({ files: persisted.files.map((f) => ({ name: f.name.replaceAll("/", "__"), data: f.data })), meta: {} }),
  decode: (entry) =>
    Effect.map(
      Effect.forEach(entry.names, (name) => Effect.map(entry.files(name), (data) => ({ name: name.replaceAll("__", "/"), data }))),
      (files) => ({ files })
    )
}
