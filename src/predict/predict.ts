import { Path } from "@effect/platform"
import { Effect, Option } from "effect"
import { decodeConfigText } from "../config/loadConfig.js"
import { buildInferenceWindow, forecastRows, readFuturePanel, readInputPanel } from "../data/inference.js"
import { loadPanel } from "../data/sources.js"
import { EngineError } from "../engine/Engine.js"
import { sha256Hex } from "../fs/hash.js"
import { loadLayersModel } from "../model/export.js"
import { loadTf } from "../model/keras.js"
import { RunFiles } from "../rundir/files.js"
import * as RunDirectory from "../rundir/RunDirectory.js"
import { RunDirError } from "../rundir/RunDirError.js"
import { parseSeriesFlag, selectSeries } from "./selectSeries.js"

/** One forecast step of one series, in the target's units. */
export interface ForecastRow {
  readonly series: string
  readonly time: string
  readonly value: number
}

/** A forecast of the next `horizon` steps after the input's last row of each series, in the target's units. */
export interface Forecast {
  /** Time of the last input row (of the first series forecast). */
  readonly lastTime: string
  /** One row per series and step, the series in the order forecast. */
  readonly rows: ReadonlyArray<ForecastRow>
  readonly target: string
  /** How the model's training source laid out its series (single: one series, no series column needed). */
  readonly seriesFormat: "single" | "long" | "wide"
  /** The series forecast, each with the time of its last input row. */
  readonly series: ReadonlyArray<{ readonly id: string; readonly lastTime: string }>
  /** Series of the input the model was not trained on: not forecast. */
  readonly skipped: ReadonlyArray<string>
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
 * the training data), for every series the model was trained on or only those in `seriesFlag`
 * (`--series` values: ids, repeated or comma-separated); `futureFile` gives the model's
 * future_columns on the forecast steps.
 */
export const predict = Effect.fn("Predict.run")(function*(
  runDir: string,
  input: Option.Option<string>,
  futureFile: Option.Option<string> = Option.none(),
  seriesFlag: ReadonlyArray<string> = []
) {
  const path = yield* Path.Path
  const dir = yield* RunDirectory.at(runDir)
  const preprocessing = yield* dir.readPreprocessing
  yield* verifyWeights(dir, preprocessing.weights_sha256)
  const manifest = preprocessing.manifest
  const modelIds = manifest.series.map((entry) => entry.id)
  const requested = parseSeriesFlag(seriesFlag)
  // an id the model does not know is refused before any file is read
  yield* selectSeries(modelIds, modelIds, requested, dir.path(RunFiles.preprocessing))
  const panel = Option.isSome(input)
    ? yield* readInputPanel(manifest, input.value, requested.length > 0 ? requested : undefined)
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
      return yield* loadPanel(loaded.config.data.source, configDir)
    })
  const inputName = Option.getOrElse(input, () => panel.description)
  const selection = yield* selectSeries(modelIds, panel.ids, requested, inputName)
  const futureOf = Option.isSome(futureFile) ? yield* readFuturePanel(manifest, futureFile.value) : () => undefined
  const windows = yield* Effect.forEach(selection.chosen, ({ id, input: i, model: s }) =>
    buildInferenceWindow(manifest, panel.series[i]!, futureOf(id), s))
  const tf = yield* Effect.tryPromise({ try: () => loadTf(), catch: (e) => new EngineError({ reason: `tfjs cannot load: ${String(e)}` }) })
  const modelDir = dir.path(RunFiles.model)
  const { features, horizon, lookback } = { features: manifest.features.length, horizon: manifest.horizon, lookback: manifest.lookback }
  const x = new Float32Array(windows.length * lookback * features)
  windows.forEach((window, w) => x.set(window.x, w * lookback * features))
  const outputs = yield* Effect.acquireUseRelease(
    Effect.tryPromise({
      try: () => loadLayersModel(tf, modelDir),
      catch: (e) => new RunDirError({ path: modelDir, message: `cannot load the model in ${modelDir}: ${String(e)}`, fix: "re-run `pipeline run` to export it again" })
    }),
    (model) =>
      Effect.sync(() =>
        tf.tidy(() => {
          const out = model.predict(tf.tensor3d(x, [windows.length, lookback, features]))
          const tensor = Array.isArray(out) ? out[0]! : out
          return Float32Array.from(tensor.dataSync())
        })
      ),
    (model) => Effect.sync(() => model.dispose())
  )
  const rows = selection.chosen.flatMap(({ id, model: s }, w) =>
    forecastRows(manifest, windows[w]!, outputs.subarray(w * horizon, (w + 1) * horizon), s).map((row) => ({ series: id, ...row }))
  )
  const forecast: Forecast = {
    lastTime: windows[0]!.lastTime,
    rows,
    target: manifest.target,
    seriesFormat: manifest.seriesFormat,
    series: selection.chosen.map(({ id }, w) => ({ id, lastTime: windows[w]!.lastTime })),
    skipped: selection.skipped
  }
  return forecast
}, Effect.scoped)
