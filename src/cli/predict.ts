import { Args, Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { type Forecast, predict } from "../predict/predict.js"

/** The forecast as a table: one line per step, with a series column when the model has many series. */
const forecastTable = (result: Forecast, panel: boolean): Array<string> => {
  if (!panel) {
    return [
      `forecast of ${result.target} after ${result.lastTime || "the last row"}:`,
      ...result.rows.map((row) => `  ${row.time.padEnd(12)} ${row.value.toFixed(2)}`)
    ]
  }
  const width = Math.max(6, ...result.series.map((s) => s.id.length))
  const timeWidth = Math.max(12, ...result.rows.map((row) => row.time.length + 1))
  return [
    `forecast of ${result.target} for ${result.series.length} series:`,
    `  ${"series".padEnd(width)} ${"time".padEnd(timeWidth)} value`,
    ...result.rows.map((row) => `  ${row.series.padEnd(width)} ${row.time.padEnd(timeWidth)} ${row.value.toFixed(2)}`),
    ...(result.skipped.length === 0 ? [] : [`not forecast (the model was not trained on them): ${result.skipped.join(", ")}`])
  ]
}

/** `pipeline predict <run-dir> [--input file.csv] [--future plan.csv] [--series id]... [--json]`. */
export const predictCommand = Command.make(
  "predict",
  {
    runDir: Args.text({ name: "run-dir" }).pipe(Args.withDescription("A finished run directory (runs/<experiment>/<run>).")),
    input: Options.text("input").pipe(
      Options.withDescription(
        "CSV with the training columns (a panel model: the same long or wide layout); forecasts after its last row (default: the training data)."
      ),
      Options.optional
    ),
    future: Options.text("future").pipe(
      Options.withDescription(
        "CSV with the time column and the model's future_columns for each forecast step (long panels: and the series column)."
      ),
      Options.optional
    ),
    series: Options.text("series").pipe(
      Options.withDescription("Forecast only this series (repeatable, or a comma list); default: every series of the model."),
      Options.repeated
    ),
    json: Options.boolean("json").pipe(Options.withDescription("Print JSON."))
  },
  ({ future, input, json, runDir, series }) =>
    Effect.gen(function*() {
      const result = yield* predict(runDir, input, future, series)
      if (json) return yield* Console.log(JSON.stringify(result, null, 2))
      for (const line of forecastTable(result, result.seriesFormat !== "single")) yield* Console.log(line)
    })
).pipe(Command.withDescription("Forecast with a run's exported model."))
