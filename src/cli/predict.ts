import { Args, Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { predict } from "../predict/predict.js"

/** `pipeline predict <run-dir> [--input file.csv] [--future plan.csv] [--json]`. */
export const predictCommand = Command.make(
  "predict",
  {
    runDir: Args.text({ name: "run-dir" }).pipe(Args.withDescription("A finished run directory (runs/<experiment>/<run>).")),
    input: Options.text("input").pipe(
      Options.withDescription("CSV with the training columns; forecasts after its last row (default: the training data)."),
      Options.optional
    ),
    future: Options.text("future").pipe(
      Options.withDescription("CSV with the time column and the model's future_columns for each forecast step."),
      Options.optional
    ),
    json: Options.boolean("json").pipe(Options.withDescription("Print JSON."))
  },
  ({ runDir, input, future, json }) =>
    Effect.gen(function*() {
      const result = yield* predict(runDir, input, future)
      if (json) return yield* Console.log(JSON.stringify(result, null, 2))
      yield* Console.log(`forecast of ${result.target} after ${result.lastTime || "the last row"}:`)
      for (const row of result.rows) yield* Console.log(`  ${row.time.padEnd(12)} ${row.value.toFixed(2)}`)
    })
).pipe(Command.withDescription("Forecast with a run's exported model."))
