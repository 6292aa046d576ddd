import { FileSystem } from "@effect/platform"
import { Effect, Option } from "effect"
import { join } from "node:path"
import * as YAML from "yaml"
import { readEpochLosses } from "../report/runData.js"
import { flatten, readSummary } from "../report/RunSummary.js"
import { RunsError } from "./RunsError.js"

/** A flat value as tables show it. */
export type Flat = string | number | boolean | null

/** What `runs ls` and `runs compare` know about one run directory. */
export interface RunEntry {
  readonly experiment: string
  readonly run: string
  readonly dir: string
  /** From summary.json; without one: "running" (written to in the last 2 minutes) or "incomplete". */
  readonly status: string
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

const runMarkers = ["summary.json", "config.yaml", "metrics.jsonl"] as const

const numbersOf = (flat: Record<string, Flat>): Record<string, number | null> =>
  Object.fromEntries(Object.entries(flat).filter((e): e is [string, number | null] => typeof e[1] === "number" || e[1] === null))

/** Read one run directory; None when it does not look like a run (no summary, config or metrics). */
export const readRun = (dir: string): Effect.Effect<Option.Option<RunEntry>, RunsError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const fail = (path: string) => (e: { readonly message: string }) => new RunsError({ path, reason: e.message })
    const present = yield* Effect.filter(runMarkers, (name) => fs.exists(join(dir, name))).pipe(Effect.mapError(fail(dir)))
    if (present.length === 0) return Option.none()
    const summary = Option.getOrUndefined(yield* readSummary(join(dir, "summary.json")).pipe(Effect.mapError(fail(dir))))

    const configFile = join(dir, "config.yaml")
    let hparams: Record<string, Flat> = {}
    if (present.includes("config.yaml")) {
      const text = yield* fs.readFileString(configFile).pipe(Effect.mapError(fail(configFile)))
      const parsed = yield* Effect.try({
        try: (): unknown => YAML.parse(text),
        catch: (e) => new RunsError({ path: configFile, reason: `not YAML: ${e instanceof Error ? e.message : String(e)}` })
      })
      hparams = flatten(parsed)
    } else if (summary?.hparams !== undefined) {
      hparams = flatten(summary.hparams)
    }

    const losses = yield* readEpochLosses(join(dir, "metrics.jsonl")).pipe(Effect.mapError(fail(dir)))
    const last = losses.at(-1)
    const metrics: Record<string, number | null> = summary?.metrics === undefined ? {} : numbersOf(flatten(summary.metrics))
    const bestVal = losses.reduce<number | null>((best, l) => (l.validation !== null && (best === null || l.validation < best) ? l.validation : best), null)
    if (bestVal !== null) metrics["val.loss"] = bestVal

    let status = summary?.status ?? "complete"
    if (summary === undefined) {
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
  const fail = (path: string) => (e: { readonly message: string }) => new RunsError({ path, reason: e.message })
  if (!(yield* fs.exists(outputDir).pipe(Effect.mapError(fail(outputDir))))) {
    return yield* new RunsError({ path: outputDir, reason: "no such directory (set --output-dir to where runs are written)" })
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
      return yield* new RunsError({ path: experimentDir, reason: `no experiment "${experiment}" under ${outputDir}` })
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
