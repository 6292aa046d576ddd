import { FileSystem } from "@effect/platform"
import { Effect, Option } from "effect"
import { join } from "node:path"
import * as YAML from "yaml"
import { Path } from "@effect/platform"
import { flatten, RunFiles, type RunSummary } from "../rundir/files.js"
import * as RunDirectory from "../rundir/RunDirectory.js"
import { RunsError } from "./RunsError.js"

/** A flat value as tables show it. */
export type Flat = string | number | boolean | null

/** What `runs ls` and `runs compare` know about one run directory. */
export interface RunEntry {
  readonly experiment: string
  readonly run: string
  readonly dir: string
  /**
   * From summary.json; without one: "running" (written to in the last 2 minutes) or "incomplete";
   * "unreadable" when a file of the run cannot be read (`problem` says why).
   */
  readonly status: string
  /** Why part of the run could not be read; the rest of the row is what could be. */
  readonly problem?: string
  readonly startedAt: string | undefined
  readonly durationS: number | undefined
  readonly bestEpoch: number | undefined
  readonly epochsCompleted: number | undefined
  /** Dotted metric paths: `test.rmse`, `val.mae`, `baselines.test.seasonal_naive.rmse`, `skill.…`, `val.loss`. */
  readonly metrics: Readonly<Record<string, number | null>>
  /** Dotted config paths from config.yaml (else summary.hparams): `model.hidden_size`, `train.learning_rate`. */
  readonly hparams: Readonly<Record<string, Flat>>
}

/** A directory written to this recently without a summary is taken to be still running. */
const runningWindowMs = 2 * 60 * 1000

const runMarkers = [RunFiles.summary, RunFiles.config, RunFiles.metrics] as const

const numbersOf = (flat: Record<string, Flat>): Record<string, number | null> =>
  Object.fromEntries(Object.entries(flat).filter((e): e is [string, number | null] => typeof e[1] === "number" || e[1] === null))

/**
 * Read one run directory; None when it does not look like a run (no summary, config or metrics).
 * A file that cannot be read costs only this row: it is marked unreadable with the reason.
 */
export const readRun = (dir: string): Effect.Effect<Option.Option<RunEntry>, RunsError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const fail = (path: string) => (e: { readonly message: string }) => new RunsError({ path, reason: e.message, fix: "check the directory's permissions" })
    const present = yield* Effect.filter(runMarkers, (name) => fs.exists(join(dir, name))).pipe(Effect.mapError(fail(dir)))
    if (present.length === 0) return Option.none()
    const run = yield* RunDirectory.at(dir)
    const problems: Array<string> = []
    const readable = <A>(effect: Effect.Effect<A, { readonly message: string }>, fallback: A) =>
      Effect.catchAll(effect, (e) => Effect.as(Effect.sync(() => problems.push(e.message)), fallback))
    const summary: RunSummary | undefined = Option.getOrUndefined(yield* readable(run.readSummary, Option.none()))

    let hparams: Record<string, Flat> = {}
    const configText = yield* readable(run.readText(RunFiles.config), Option.none())
    if (Option.isSome(configText)) {
      const parsed = yield* readable(
        Effect.try({
          try: (): unknown => YAML.parse(configText.value),
          catch: (e) => ({ message: `${run.path(RunFiles.config)} is not YAML: ${e instanceof Error ? e.message : String(e)}` })
        }),
        {}
      )
      hparams = flatten(parsed)
    } else if (summary !== undefined) {
      hparams = flatten(summary.hparams)
    }

    const losses = yield* readable(run.readEpochLosses, [])
    const last = losses.at(-1)
    const metrics: Record<string, number | null> = summary?.metrics == null ? {} : numbersOf(flatten(summary.metrics))
    const bestVal = losses.reduce<number | null>((best, l) => (l.validation !== null && (best === null || l.validation < best) ? l.validation : best), null)
    if (bestVal !== null) metrics["val.loss"] = bestVal

    let status: string = summary?.status ?? "complete"
    if (problems.length > 0) status = "unreadable"
    else if (summary === undefined) {
      const stamps = yield* Effect.forEach(present, (name) =>
        fs.stat(join(dir, name)).pipe(Effect.map((s) => Option.getOrElse(s.mtime, () => new Date(0)).getTime()))
      ).pipe(Effect.mapError(fail(dir)))
      status = Date.now() - Math.max(...stamps) < runningWindowMs ? "running" : "incomplete"
    }
    const parts = dir.split(/[\\/]+/).filter((p) => p !== "")
    return Option.some({
      experiment: summary?.experiment ?? parts.at(-2) ?? "",
      run: summary?.run ?? parts.at(-1) ?? dir,
      dir,
      status,
      ...(problems.length > 0 ? { problem: problems.join("; ") } : {}),
      startedAt: summary?.started_at,
      durationS: summary?.duration_s,
      bestEpoch: summary?.best_epoch ?? undefined,
      epochsCompleted: summary?.epochs_completed ?? last?.epoch,
      metrics,
      hparams
    })
  })

/**
 * Every run under `<outputDir>/<experiment>/<run>/` (one experiment when given), ordered by
 * experiment and start. Directories that hold none of summary.json, config.yaml, metrics.jsonl
 * are skipped (the stage cache, stray folders).
 */
export const listRuns = Effect.fn("Runs.list")(function*(outputDir: string, options: { readonly experiment?: string } = {}) {
  const fs = yield* FileSystem.FileSystem
  const fail = (path: string) => (e: { readonly message: string }) => new RunsError({ path, reason: e.message, fix: "check the directory's permissions" })
  if (!(yield* fs.exists(outputDir).pipe(Effect.mapError(fail(outputDir))))) {
    return yield* new RunsError({ path: outputDir, reason: "no such directory", fix: "set --output-dir to where runs are written" })
  }
  const subdirs = (dir: string) =>
    fs.readDirectory(dir).pipe(
      Effect.flatMap((names) =>
        Effect.filter(names.filter((n) => !n.startsWith(".")).sort(), (name) =>
          fs.stat(join(dir, name)).pipe(Effect.map((s) => s.type === "Directory")))
      ),
      Effect.mapError(fail(dir))
    )
  const experiments = options.experiment === undefined ? yield* subdirs(outputDir) : [options.experiment]
  const entries: Array<RunEntry> = []
  for (const experiment of experiments) {
    const experimentDir = join(outputDir, experiment)
    if (!(yield* fs.exists(experimentDir).pipe(Effect.mapError(fail(experimentDir))))) {
      return yield* new RunsError({ path: experimentDir, reason: `no experiment "${experiment}" under ${outputDir}`, fix: "run `pipeline runs ls` to see the experiments" })
    }
    for (const run of yield* subdirs(experimentDir)) {
      const entry = yield* readRun(join(experimentDir, run))
      if (Option.isSome(entry)) entries.push(entry.value)
    }
  }
  return entries.sort((a, b) =>
    a.experiment.localeCompare(b.experiment) || (a.startedAt ?? "").localeCompare(b.startedAt ?? "") || a.run.localeCompare(b.run)
  )
})
