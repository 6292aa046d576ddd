import { FileSystem, Path } from "@effect/platform"
import { Duration, Effect, Fiber, Option, Schedule } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { closeSync, openSync } from "node:fs"
import { type TrialJob, TrialError } from "./domain.js"
import { lifelineVar } from "./lifeline.js"
import { setValue } from "./loadSweep.js"
import { epochValues, successfulSummary } from "./metricsFile.js"
import { TrialStore } from "./TrialStore.js"

/** How to start `pipeline` again: node, its flags and the CLI script (this very process's by default). */
export interface TrialRunnerOptions {
  readonly command: ReadonlyArray<string>
  /** Who runs the trial, recorded in the store: `host:pid`. */
  readonly worker: string
  /** How often the metrics file is read for rung epochs. */
  readonly pollMs?: number
}

/** The command that starts this CLI again, as this process was started. */
export const selfCommand = (): ReadonlyArray<string> => [process.execPath, ...process.execArgv, process.argv[1] ?? "dist/bin.js"]

/** The run directory of a trial. */
export const trialRunDir = (job: TrialJob): string => `${job.outputDir}/${job.experiment}/${job.trial.id}`

/** The log file (stdout and stderr) of a trial's processes. */
export const trialLog = (job: TrialJob): string => `${job.outputDir}/${job.experiment}/sweeps/${job.sweep}/logs/${job.trial.id}.log`

/** `pipeline run <base> …` for a trial: its parameters as `--set`, its id as run name. */
export const trialArgs = (job: TrialJob, resume: boolean): Array<string> => [
  "run",
  job.base,
  "--no-progress",
  "--experiment",
  job.experiment,
  "--run-name",
  job.trial.id,
  "--output-dir",
  job.outputDir,
  ...(resume ? ["--resume", "last"] : []),
  ...job.fixed.flatMap((f) => ["--set", `${f.path}=${f.value}`]),
  ...Object.entries(job.trial.params).flatMap(([p, v]) => ["--set", `${p}=${setValue(v)}`])
]

interface Exited {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/**
 * A trial process, stopped with the scope: SIGTERM (it checkpoints after the current batch), then
 * SIGKILL if it has not exited within 30 s. Its stdin is the lifeline (see lifeline.ts).
 */
const trialProcess = (command: ReadonlyArray<string>, args: ReadonlyArray<string>, logFile: string) =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        const fd = openSync(logFile, "a")
        let child: ChildProcess
        try {
          child = spawn(command[0]!, [...command.slice(1), ...args], {
            stdio: ["pipe", fd, fd],
            env: { ...process.env, [lifelineVar]: "stdin" }
          })
        } finally {
          closeSync(fd)
        }
        const exited = new Promise<Exited>((resolve) => {
          child.on("error", () => resolve({ code: 127, signal: null }))
          child.on("exit", (code, signal) => resolve({ code, signal }))
        })
        return { child, exited }
      },
      catch: (e) => new TrialError({ trial: logFile, message: `cannot start the trial process: ${String(e)}` })
    }),
    ({ child, exited }) =>
      Effect.promise(async () => {
        if (child.exitCode !== null || child.signalCode !== null) return
        child.kill("SIGTERM")
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000)
        await exited
        clearTimeout(timer)
      })
  )

/** The last `error:` line of a log (else its last line): why a trial failed, in one line. */
const errorLine = (text: string): string => {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "")
  return [...lines].reverse().find((l) => l.startsWith("error:")) ?? lines.at(-1) ?? "no output"
}

/** The sweep metric (`val.rmse`) in a summary's metrics. */
const metricOf = (metrics: unknown, metric: string): number | null => {
  const [split, name] = metric.split(".")
  if (typeof metrics !== "object" || metrics === null || split === undefined || name === undefined) return null
  const set: unknown = Reflect.get(metrics, split)
  const value: unknown = typeof set === "object" && set !== null ? Reflect.get(set, name) : undefined
  return typeof value === "number" ? value : null
}

/** Whether a run directory holds a checkpoint that `--resume last` can continue from (one with its DONE marker). */
const hasCheckpoint = (runDir: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const dir = `${runDir}/checkpoints`
    const names = yield* fs.readDirectory(dir).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => []))
    for (const name of names) if (yield* fs.exists(`${dir}/${name}/DONE`).pipe(Effect.orElseSucceed(() => false))) return true
    return false
  })

/** How one training process ended, as the trial's state sees it. */
type Ending =
  | { readonly _tag: "complete"; readonly metric: number | null }
  | { readonly _tag: "pruned" }
  | { readonly _tag: "failed"; readonly error: string; readonly retry: boolean }

/**
 * Run one trial to an end state: the same code for a local sweep and for a queue worker. Skips a
 * trial already complete or pruned (a duplicate delivery), takes a finished run's summary as is,
 * resumes from the last checkpoint when an earlier process left one, follows metrics.jsonl to
 * report ASHA rungs and stops the process when it is pruned; a failure is retried `retries` times.
 */
export const runTrial = Effect.fn("Sweep.runTrial")(function*(job: TrialJob, options: TrialRunnerOptions) {
  const store = yield* TrialStore
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const id = job.trial.id
  const current = yield* store.get(job.sweep, id)
  if (Option.isSome(current) && (current.value.state === "complete" || current.value.state === "pruned")) return current.value
  const runDir = trialRunDir(job)
  const logFile = trialLog(job)
  yield* fs.makeDirectory(path.dirname(logFile), { recursive: true }).pipe(Effect.mapError((e) => new TrialError({ trial: id, message: e.message })))
  const metricName = yield* Effect.map(store.meta(job.sweep), Option.match({ onNone: () => "val.rmse", onSome: (m) => m.metric }))

  const summaryEnding = successfulSummary(runDir)

  const attempt = Effect.gen(function*() {
    // a run that finished while its worker died before saying so: take its summary
    const done = yield* summaryEnding
    if (Option.isSome(done)) return { ending: { _tag: "complete", metric: metricOf(done.value.metrics, metricName) } as Ending, epochs: done.value.epochs_completed }
    const exists = yield* fs.exists(runDir).pipe(Effect.orElseSucceed(() => false))
    const resume = exists && (yield* hasCheckpoint(runDir))
    // no checkpoint means nothing to continue from: start over
    if (exists && !resume) yield* fs.remove(runDir, { recursive: true }).pipe(Effect.ignore)
    yield* store.start(job.sweep, id, options.worker)
    yield* store.update(job.sweep, id, { run_dir: runDir, resumed: resume })
    return yield* Effect.scoped(Effect.gen(function*() {
      const { child, exited } = yield* trialProcess(options.command, trialArgs(job, resume), logFile)
      let pruned = false
      let epochs = 0
      const follower = yield* Effect.fork(Effect.repeat(
        Effect.gen(function*() {
          const values = yield* epochValues(runDir, job.asha?.metric ?? "val_loss")
          for (const { epoch, value } of values) {
            if (epoch <= epochs) continue
            epochs = epoch
            yield* store.update(job.sweep, id, { epochs: epoch, last: value })
            if (job.asha === null || pruned || !job.asha.rungs.includes(epoch) || value === null) continue
            // the top rung is the end of training: nothing left to save by stopping there
            if (epoch === job.asha.rungs.at(-1)) continue
            if (yield* store.reportRung(job.sweep, id, epoch, value, job.asha.reduction_factor, job.asha.mode)) {
              pruned = true
              child.kill("SIGTERM")
            }
          }
        }),
        Schedule.spaced(Duration.millis(options.pollMs ?? 200))
      ))
      const end = yield* Effect.promise(() => exited)
      // a last look: epochs written just before the exit
      yield* Effect.sleep(Duration.millis(10))
      yield* Fiber.interrupt(follower)
      const values = yield* epochValues(runDir, job.asha?.metric ?? "val_loss")
      epochs = Math.max(epochs, values.at(-1)?.epoch ?? 0)
      if (end.code === 0) {
        const finished = yield* summaryEnding
        const metric = Option.match(finished, { onNone: () => null, onSome: (s) => metricOf(s.metrics, metricName) })
        const ending: Ending = { _tag: "complete", metric }
        return { ending, epochs: Option.match(finished, { onNone: () => epochs, onSome: (s) => s.epochs_completed }) }
      }
      if (pruned) return { ending: { _tag: "pruned" } as Ending, epochs }
      const log = yield* fs.readFileString(logFile).pipe(Effect.orElseSucceed(() => ""))
      // exit 2 is bad input: the same every time, not worth a retry
      const ending: Ending = { _tag: "failed", error: `exit ${end.code ?? end.signal}: ${errorLine(log)}`, retry: end.code !== 2 }
      return { ending, epochs }
    }))
  })

  let result = yield* attempt
  for (let retry = 1; result.ending._tag === "failed" && result.ending.retry && retry <= job.retries; retry++) {
    yield* store.update(job.sweep, id, { error: result.ending.error })
    result = yield* attempt
  }
  const { ending, epochs } = result
  const patch = ending._tag === "complete"
    ? { state: "complete" as const, metric: ending.metric, epochs, error: null }
    : ending._tag === "pruned"
    ? { state: "pruned" as const, epochs }
    : { state: "failed" as const, error: ending.error, epochs }
  yield* store.update(job.sweep, id, patch)
  const record = yield* store.get(job.sweep, id)
  if (Option.isNone(record)) return yield* new TrialError({ trial: id, message: `trial ${id} is not in the store of sweep ${job.sweep}` })
  return record.value
}, (effect, job) =>
  // stopped from outside (Ctrl-C, a worker shutting down): the trial waits for the next taker
  Effect.onInterrupt(effect, () => Effect.flatMap(TrialStore, (store) => store.update(job.sweep, job.trial.id, { state: "waiting", worker: null }).pipe(Effect.ignore))))
