import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { compareRuns, listRuns, readRun, renderComparison, renderRunList, RunsError } from "../runs/index.js"
import { syncRun } from "../tracking/sync.js"

const experiment = Options.text("experiment").pipe(
  Options.withDescription("Only runs of this experiment (runs/<experiment>/)"),
  Options.optional
)
const outputDir = Options.text("output-dir").pipe(
  Options.withDescription("Where run directories are written"),
  Options.withDefault("runs")
)

const experimentOf = (value: Option.Option<string>) => Option.match(value, { onNone: () => ({}), onSome: (e) => ({ experiment: e }) })

/** `pipeline runs ls [--experiment X] [--output-dir runs]` */
const lsCommand = Command.make("ls", { experiment, outputDir }, (args) =>
  Effect.gen(function*() {
    const runs = yield* listRuns(args.outputDir, experimentOf(args.experiment))
    yield* Console.log(renderRunList(runs))
  })).pipe(Command.withDescription("List runs with their status and main metrics"))

/** `pipeline runs compare [run-dirs...] [--experiment X] [--sort test.rmse] [--output-dir runs]` */
const compareCommand = Command.make(
  "compare",
  {
    runDirs: Args.directory({ name: "run-dir", exists: "yes" }).pipe(
      Args.withDescription("Run directories to compare (default: every run, or every run of --experiment)"),
      Args.repeated
    ),
    experiment,
    sort: Options.text("sort").pipe(
      Options.withDescription("Metric or hyperparameter to sort by, e.g. test.rmse, -test.r2, train.learning_rate"),
      Options.withDefault("test.rmse")
    ),
    outputDir
  },
  (args) =>
    Effect.gen(function*() {
      const runs = args.runDirs.length > 0
        ? yield* Effect.forEach(args.runDirs, (dir) =>
          Effect.flatMap(readRun(dir), Option.match({
            onNone: () => Effect.fail(new RunsError({ path: dir, reason: "not a run directory (no summary.json, config.yaml or metrics.jsonl)", fix: "pass a run directory such as runs/<experiment>/<run>" })),
            onSome: Effect.succeed
          })))
        : yield* listRuns(args.outputDir, experimentOf(args.experiment))
      yield* Console.log(renderComparison(compareRuns(runs, { sort: args.sort })))
    })
).pipe(Command.withDescription("Compare runs side by side: hyperparameters that differ and metrics"))

/** `pipeline runs sync <run-dir>`: send what MLflow / W&B did not take during the run, finish the remote run, upload its artifacts. */
const syncCommand = Command.make(
  "sync",
  { runDir: Args.directory({ name: "run-dir", exists: "yes" }).pipe(Args.withDescription("The run directory to sync")) },
  (args) =>
    Effect.gen(function*() {
      const delivered = yield* syncRun(args.runDir, (line) => Console.error(line))
      const lines = Object.entries(delivered).map(([name, d]) => `${name}: ${d.delivered} point(s) delivered, ${d.spooled} still spooled, ${d.dropped} dropped`)
      yield* Console.log(lines.length === 0 ? "nothing to sync: every point was delivered" : lines.join("\n"))
    })
).pipe(Command.withDescription("Send the points a tracking server missed (tracking/spool/), set the remote run's final status and upload a finished run's artifacts"))

/** `pipeline runs`: inspect the runs on disk. */
export const runsCommand = Command.make("runs").pipe(
  Command.withDescription("List, compare and sync runs"),
  Command.withSubcommands([lsCommand, compareCommand, syncCommand])
)
