import { Path } from "@effect/platform"
import { Effect, Option } from "effect"
import { decodeConfigText } from "../config/loadConfig.js"
import { buildInferenceWindow, forecastRows, readFutureCsv, readInputCsv } from "../data/inference.js"
import { loadPanel } from "../data/sources.js"
import { EngineError } from "../engine/Engine.js"
import { sha256Hex } from "../fs/hash.js"
import { loadLayersModel } from "../model/export.js"
import { loadTf } from "../model/keras.js"
import { RunFiles } from "../rundir/files.js"
import * as RunDirectory from "../rundir/RunDirectory.js"
import { RunDirError } from "../rundir/RunDirError.js"

/** A forecast of the next `horizon` steps after the input's last row, in the target's units. */
export interface Forecast {
  readonly lastTime: string
  readonly rows: ReturnType<typeof forecastRows>
  readonly target: string
}

/**
 * The model files must be the ones the run wrote: weights.bin's sha256 is recorded in
 * preprocessing.json, so a flipped byte or a damaged copy is refused before it forecasts.
 */
const verifyWeights = (dir: RunDirectory.RunDirectoryService, expected: string) =>
  Effect.gen(function*() {
    const file = dir.path(RunFiles.modelWeights)
    const bytes = yield* dir.readBytes(RunFiles.modelWeights)
    const damaged = (why: string) =>
      new RunDirError({ path: file, message: `${file} ${why}`, fix: "re-export the model with `pipeline run` on the same config (it is served from the cache)" })
    if (Option.isNone(bytes)) return yield* damaged("is missing.")
    if (sha256Hex(bytes.value) !== expected) return yield* damaged(`does not match the weights the run wrote (sha256 recorded in ${RunFiles.preprocessing}).`)
  })

/**
 * Forecast the next `horizon` steps with a run's exported tfjs model, after `input` (default:
 * the training data); `futureFile` gives the model's future_columns on the forecast steps.
 */
export const predict = Effect.fn("Predict.run")(function*(
  runDir: string,
  input: Option.Option<string>,
  futureFile: Option.Option<string> = Option.none()
) {
  const path = yield* Path.Path
  const dir = yield* RunDirectory.at(runDir)
  const preprocessing = yield* dir.readPreprocessing
  yield* verifyWeights(dir, preprocessing.weights_sha256)
  const manifest = preprocessing.manifest
  const series = Option.isSome(input)
    ? yield* readInputCsv(manifest, input.value)
    : yield* Effect.gen(function*() {
      const configFile = dir.path(RunFiles.config)
      const configText = yield* dir.readText(RunFiles.config)
      if (Option.isNone(configText)) {
        return yield* new RunDirError({ path: configFile, message: `${configFile} is missing.`, fix: "pass --input <file.csv>, or a complete run directory" })
      }
      const loaded = yield* decodeConfigText(configFile, configText.value, [])
      // relative data paths start at the folder of the config the run was started from
      const summary = yield* Effect.option(dir.readSummary)
      const original = Option.flatMap(summary, Option.map((s) => s.config_file))
      const configDir = Option.isSome(original) ? path.dirname(original.value) : runDir
      const panel = yield* loadPanel(loaded.config.data.source, configDir)
      return panel.series[0]!
    })
  const future = Option.isSome(futureFile) ? yield* readFutureCsv(manifest, futureFile.value) : undefined
  const window = yield* buildInferenceWindow(manifest, series, future)
  const tf = yield* Effect.tryPromise({ try: () => loadTf(), catch: (e) => new EngineError({ reason: `tfjs cannot load: ${String(e)}` }) })
  const modelDir = dir.path(RunFiles.model)
  const outputs = yield* Effect.acquireUseRelease(
    Effect.tryPromise({
      try: () => loadLayersModel(tf, modelDir),
      catch: (e) => new RunDirError({ path: modelDir, message: `cannot load the model in ${modelDir}: ${String(e)}`, fix: "re-run `pipeline run` to export it again" })
    }),
    (model) =>
      Effect.sync(() =>
        tf.tidy(() => {
          const out = model.predict(tf.tensor3d(window.x, [1, manifest.lookback, manifest.features.length]))
          const tensor = Array.isArray(out) ? out[0]! : out
          return Float32Array.from(tensor.dataSync())
        })
      ),
    (model) => Effect.sync(() => model.dispose())
  )
  return { lastTime: window.lastTime, rows: forecastRows(manifest, window, outputs), target: manifest.target } satisfies Forecast
}, Effect.scoped)
