import { Args, Command, Options } from "@effect/cli"
import { FileSystem, Path } from "@effect/platform"
import { Console, Effect, Option, Schema } from "effect"
import { decodeConfigText } from "../config/loadConfig.js"
import { buildInferenceWindow, forecastRows, readInputCsv } from "../data/inference.js"
import { loadSeries } from "../data/sources.js"
import { loadLayersModel } from "../model/export.js"
import { loadTf } from "../model/keras.js"
import { RunDirError } from "../run/RunDir.js"
import { Preprocessing } from "../stages/Persist.js"

const SummaryConfigFile = Schema.Struct({ config_file: Schema.optional(Schema.String) })

/** Forecast the next `horizon` steps with a run's exported tfjs model. */
export const predict = Effect.fn("Predict.run")(function*(runDir: string, input: Option.Option<string>) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const modelDir = path.join(runDir, "model")
  const preprocessingFile = path.join(modelDir, "preprocessing.json")
  const missing = new RunDirError({
    path: runDir,
    message: `${runDir} has no exported model (${preprocessingFile} is missing).`,
    fix: "pass a finished run directory, e.g. the one `pipeline run` printed last"
  })
  const text = yield* fs.readFileString(preprocessingFile).pipe(Effect.mapError(() => missing))
  const preprocessing = yield* Schema.decodeUnknown(Schema.parseJson(Preprocessing))(text).pipe(
    Effect.mapError(() => new RunDirError({ path: preprocessingFile, message: `${preprocessingFile} is not valid.`, fix: "re-run `pipeline run` to export the model again" }))
  )
  const manifest = preprocessing.manifest
  const series = Option.isSome(input)
    ? yield* readInputCsv(manifest, input.value)
    : yield* Effect.gen(function*() {
      const configFile = path.join(runDir, "config.yaml")
      const configText = yield* fs.readFileString(configFile).pipe(Effect.mapError(() => missing))
      const loaded = yield* decodeConfigText(configFile, configText, [])
      const summary = yield* fs.readFileString(path.join(runDir, "summary.json")).pipe(
        Effect.flatMap((s) => Schema.decodeUnknown(Schema.parseJson(SummaryConfigFile))(s)),
        Effect.option
      )
      const original = Option.flatMap(summary, (s) => Option.fromNullable(s.config_file))
      const configDir = Option.isSome(original) ? path.dirname(original.value) : runDir
      return yield* loadSeries(loaded.config.data.source, configDir)
    })
  const window = yield* buildInferenceWindow(manifest, series)
  const tf = yield* Effect.promise(() => loadTf())
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
  return { lastTime: window.lastTime, rows: forecastRows(manifest, window, outputs), target: manifest.target }
}, Effect.scoped)

/** `pipeline predict <run-dir> [--input file.csv]`. */
export const predictCommand = Command.make(
  "predict",
  {
    runDir: Args.text({ name: "run-dir" }).pipe(Args.withDescription("A finished run directory (runs/<experiment>/<run>).")),
    input: Options.text("input").pipe(
      Options.withDescription("CSV with the training columns; forecasts after its last row (default: the training data)."),
      Options.optional
    ),
    json: Options.boolean("json").pipe(Options.withDescription("Print JSON."))
  },
  ({ runDir, input, json }) =>
    Effect.gen(function*() {
      const result = yield* predict(runDir, input)
      if (json) return yield* Console.log(JSON.stringify(result, null, 2))
      yield* Console.log(`forecast of ${result.target} after ${result.lastTime || "the last row"}:`)
      for (const row of result.rows) yield* Console.log(`  ${row.time.padEnd(12)} ${row.value.toFixed(2)}`)
    })
).pipe(Command.withDescription("Forecast with a run's exported model."))

