import { Args, Command, Options } from "@effect/cli"
import { FileSystem, Path } from "@effect/platform"
import { Console, Effect, Option } from "effect"
import { availableParallelism, hostname } from "node:os"
import { ConfigError } from "../config/ConfigError.js"
import { QueueError } from "../sweep/domain.js"
import { defaultParallel, runLocal } from "../sweep/local.js"
import { loadSweep, type SweepPlan } from "../sweep/loadSweep.js"
import { runOnQueue } from "../sweep/queue.js"
import { layerRedis } from "../sweep/redisStore.js"
import { epochMetricOf } from "../sweep/report.js"
import { renderTable, stateCounts, trialRows } from "../sweep/results.js"
import { selfCommand } from "../sweep/runTrial.js"
import { layerFile, localStoreFile, TrialStore } from "../sweep/TrialStore.js"
import { type ConfigOptions, configOptions, overridesOf } from "./flags.js"

const queueOption = Options.text("queue").pipe(
  Options.withDescription("Redis address of the trial queue, redis://host:port[/db]; without it the sweep runs here."),
  Options.optional
)

const planOf = (file: string, options: ConfigOptions) =>
  Effect.gen(function*() {
    const { overrides, bad } = overridesOf(options)
    if (bad.length > 0) {
      return yield* new ConfigError({ file, field: "--set", message: `--set ${bad[0]}: expected path=value.`, fix: "write it as --set model.hidden_size=128" })
    }
    return yield* loadSweep(file, overrides)
  })

/** The flags `sweep status` needs to find this sweep again. */
const statusHint = (plan: SweepPlan, queue: Option.Option<string>): string =>
  `pipeline sweep status ${plan.id} --output-dir ${plan.outputDir}${Option.match(queue, { onNone: () => "", onSome: (q) => ` --queue ${q}` })}`

/** `pipeline sweep status <sweep.yaml|id>`: every trial's state. */
const showStatus = (sweep: string, queue: Option.Option<string>, options: ConfigOptions) =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const isFile = yield* fs.exists(sweep).pipe(Effect.orElseSucceed(() => false))
      const plan = isFile ? Option.some(yield* planOf(sweep, options)) : Option.none<SweepPlan>()
      const id = Option.match(plan, { onNone: () => sweep, onSome: (p) => p.id })
      const show = Effect.gen(function*() {
        const store = yield* TrialStore
        const meta = yield* store.meta(id)
        if (Option.isNone(meta)) {
          return yield* new ConfigError({
            file: sweep,
            field: "(sweep)",
            message: `sweep ${id} is not known ${Option.match(queue, { onNone: () => "here", onSome: (q) => `on ${q}` })}.`,
            fix: "pass the sweep file with the flags it was started with, or the id it printed (and --queue when it ran on one)"
          })
        }
        const records = yield* store.records(id)
        const epochMetric = Option.match(plan, { onNone: () => "val_loss", onSome: epochMetricOf })
        yield* Console.log(`sweep ${id} (${meta.value.file}, experiment ${meta.value.experiment}): ${stateCounts(records)}`)
        yield* Console.log(renderTable(trialRows(records, { metric: meta.value.metric, mode: meta.value.mode, epochMetric })))
      })
      if (Option.isSome(queue)) return yield* Effect.provide(show, layerRedis(queue.value))
      // a local sweep keeps its states in <output_dir>/<experiment>/sweeps/<id>/trials.json
      const outputDir = Option.getOrElse(options["output-dir"], () => Option.match(plan, { onNone: () => "runs", onSome: (p) => p.outputDir }))
      const dirs = Option.isSome(plan)
        ? [plan.value.sweepDir]
        : (yield* fs.readDirectory(outputDir).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => []))).map((e) => path.join(outputDir, e, "sweeps", id))
      const found = yield* Effect.filter(dirs, (d) => fs.exists(localStoreFile(d)).pipe(Effect.orElseSucceed(() => false)))
      return yield* Effect.provide(show, layerFile(found[0] ?? dirs[0] ?? path.join(outputDir, "sweeps", id)))
    })

const sweepArgs = Args.text({ name: "sweep.yaml" }).pipe(
  Args.withDescription("The sweep file (see configs/sweep.yaml); or `status` and a sweep file or id: every trial's state."),
  Args.between(1, 2)
)

/**
 * `pipeline sweep <sweep.yaml> [--parallel N | --queue redis://…] [--detach] [run flags]` and
 * `pipeline sweep status <sweep.yaml|id> [--queue …]`. (`status` is a word of the arguments, not an
 * @effect/cli subcommand: a subcommand cannot follow a command that takes an argument.)
 */
export const sweepCommand = Command.make(
  "sweep",
  {
    words: sweepArgs,
    parallel: Options.integer("parallel").pipe(
      Options.withDescription("Trial processes at once on this machine (default: cores / threads per trial)."),
      Options.optional
    ),
    queue: queueOption,
    detach: Options.boolean("detach").pipe(Options.withDescription("With --queue: submit the trials and return.")),
    ...configOptions
  },
  ({ words, parallel, queue, detach, ...options }) =>
    Effect.gen(function*() {
      const [first, second] = words
      if (first === "status" && second !== undefined) return yield* showStatus(second, queue, options)
      if (second !== undefined) {
        return yield* new ConfigError({ file: second, field: "(arguments)", message: `pipeline sweep ${first} ${second}: one sweep file, or status and a sweep.`, fix: "run `pipeline sweep <sweep.yaml>` or `pipeline sweep status <sweep.yaml|id>`" })
      }
      const sweep = first
      const plan = yield* planOf(sweep, options)
      if (Option.isSome(queue)) return yield* runOnQueue(plan, queue.value, detach, statusHint(plan, queue))
      if (detach) return yield* new QueueError({ message: "--detach needs --queue: a local sweep runs in this process.", fix: "add --queue redis://host:port, or drop --detach" })
      const slots = Option.getOrElse(parallel, () => defaultParallel(availableParallelism(), plan.threadsPerTrial))
      if (slots < 1) return yield* new ConfigError({ file: sweep, field: "--parallel", message: `--parallel ${slots}: at least one trial must run.`, fix: "pass --parallel 1 or more" })
      yield* Console.log(`running ${plan.jobs.length} trials here, ${slots} at a time`)
      yield* runLocal(plan, slots, { command: selfCommand(), worker: `${hostname()}:${process.pid}` })
    })
).pipe(
  Command.withDescription("Run a sweep (grid, random or ASHA) over a train config: here, or on workers through a Redis queue; `sweep status <sweep>` shows its trials.")
)
