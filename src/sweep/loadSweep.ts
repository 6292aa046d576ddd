import { FileSystem, Path } from "@effect/platform"
import { Effect, Either, ParseResult, Schema } from "effect"
import * as YAML from "yaml"
import { ConfigError } from "../config/ConfigError.js"
import { configLeaves, decodeConfigText, type Override, readConfigText } from "../config/loadConfig.js"
import { didYouMeanSuffix } from "../data/didYouMean.js"
import { rungsOf } from "./asha.js"
import { ChoiceSpace, type ParamSpace, type ParamValue, RangeSpace, SweepFile, type TrialJob, type TrialSpec } from "./domain.js"
import { type Assignment, gridOf, randomOf, type Space } from "./space.js"
import { sweepIdOf, trialIdOf } from "./trialId.js"

/** A sweep ready to run: its trials and the job each becomes. */
export interface SweepPlan {
  readonly file: string
  readonly id: string
  readonly definition: SweepFile
  readonly experiment: string
  readonly outputDir: string
  /** `<output_dir>/<experiment>/sweeps/<id>`: sweep.json, report.html, trial logs, the local store. */
  readonly sweepDir: string
  readonly space: Space
  readonly jobs: ReadonlyArray<TrialJob>
  /** Engine threads each trial uses (runtime.threads; 0 = every core). */
  readonly threadsPerTrial: number
}

/** Flags a sweep cannot pass to its trials: the sweep names and resumes them itself. */
const reserved = new Set(["run_name", "checkpoint.resume", "checkpoint.validate_only"])

const leafPaths = configLeaves.map((l) => l.path)
const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const show = (u: unknown): string => JSON.stringify(u) ?? String(u)

const parseSpace = (file: string, path: string, raw: unknown): Either.Either<ParamSpace, ConfigError> => {
  const field = `parameters.${path}`
  const bad = (message: string, fix: string) => Either.left(new ConfigError({ file, field, message: `${file}: ${field}: ${message}`, fix }))
  if (!leafPaths.includes(path)) {
    return bad(`no such config path.${didYouMeanSuffix(path, leafPaths)}`, "use a path of the train config; `pipeline config show <base>` lists every one")
  }
  const listOf = (values: unknown) => Schema.decodeUnknownEither(ChoiceSpace)({ values })
  if (Array.isArray(raw)) {
    const list = listOf(raw)
    return Either.isRight(list)
      ? Either.right({ _tag: "choice", values: list.right.values })
      : bad(`${show(raw)} is not a non-empty list of numbers, strings or booleans.`, `write a list, e.g. ${path}: [0.001, 0.01]`)
  }
  if (isRecord(raw) && "values" in raw) {
    const list = listOf(raw["values"])
    return Either.isRight(list)
      ? Either.right({ _tag: "choice", values: list.right.values })
      : bad(`values ${show(raw["values"])} is not a non-empty list.`, `write ${path}: {values: [a, b]}`)
  }
  if (isRecord(raw) && ("min" in raw || "max" in raw)) {
    const range = Schema.decodeUnknownEither(RangeSpace, { onExcessProperty: "error" })(raw)
    if (Either.isLeft(range)) {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(range.left)[0]
      return bad(`${show(raw)}: ${issue?.path.join(".") ?? ""} ${issue?.message ?? "is not a range"}`, `write ${path}: {min: 0.0001, max: 0.1, log: true} (keys min, max, log, int)`)
    }
    const r = range.right
    if (!(r.min < r.max)) return bad(`min ${r.min} is not below max ${r.max}.`, "give min < max")
    if (r.log && r.min <= 0) return bad(`log: true needs min > 0 (got ${r.min}).`, "raise min above 0 or drop log: true")
    return Either.right({ _tag: "range", ...r })
  }
  return bad(`${show(raw)} is not a list, {values: [...]} or {min, max}.`, `write ${path}: [a, b], ${path}: {values: [a, b]} or ${path}: {min: 1, max: 10}`)
}

const decodeSweep = (file: string, text: string): Either.Either<SweepFile, ConfigError> => {
  const lines = new YAML.LineCounter()
  const doc = YAML.parseDocument(text, { lineCounter: lines, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!
    const pos = first.linePos?.[0]
    return Either.left(new ConfigError({
      file,
      field: "(yaml)",
      message: `${file}${pos ? `:${pos.line}:${pos.col}` : ""}: malformed YAML: ${first.message.split("\n")[0]}`,
      fix: "fix the YAML syntax at that line"
    }))
  }
  const decoded = Schema.decodeUnknownEither(SweepFile, { onExcessProperty: "error" })(doc.toJS())
  if (Either.isRight(decoded)) return Either.right(decoded.right)
  const issue = ParseResult.ArrayFormatter.formatErrorSync(decoded.left).find((i) => !i.message.startsWith("Expected undefined")) ??
    ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]!
  const field = issue.path.map(String).join(".") || "(root)"
  const node = doc.getIn(issue.path, true)
  const at = YAML.isNode(node) && node.range ? ` (line ${lines.linePos(node.range[0]).line})` : ""
  const value = doc.getIn(issue.path)
  return Either.left(new ConfigError({
    file,
    field,
    message: `${file}: ${field}${at}: ${issue._tag === "Unexpected" ? "unknown key" : issue.message}${value === undefined ? "" : ` (got ${show(value)})`}`,
    fix: "a sweep file has base, experiment, metric, mode, parameters, search {kind, trials, seed, metric, mode, grace_period, reduction_factor, max_epochs} and retries; see configs/sweep.yaml"
  }))
}

const searchError = (file: string, field: string, message: string, fix: string) =>
  new ConfigError({ file, field, message: `${file}: ${field}: ${message}`, fix })

/** The assignments the search asks for, before any trial runs. */
const assignmentsOf = (file: string, sweep: SweepFile, space: Space): Either.Either<ReadonlyArray<Assignment>, ConfigError> => {
  const { search } = sweep
  const ranged = space.find(([, s]) => s._tag === "range")
  if (search.kind === "random" || (search.kind === "asha" && search.trials !== undefined)) {
    if (search.trials === undefined) {
      return Either.left(searchError(file, "search.trials", "random search needs a number of trials.", "add trials: 20 under search"))
    }
    return Either.right(randomOf(space, search.trials, search.seed))
  }
  if (ranged !== undefined) {
    return Either.left(searchError(
      file,
      `parameters.${ranged[0]}`,
      `a range cannot be enumerated by ${search.kind === "grid" ? "grid search" : "asha without trials"}.`,
      search.kind === "grid" ? "list the values, or use search: {kind: random, trials: N}" : "add search.trials: N to sample the ranges"
    ))
  }
  return Either.right(gridOf(space))
}

/** The `--set` value a parameter value becomes. */
export const setValue = (value: ParamValue): string => (typeof value === "string" ? value : String(value))

/**
 * Read a sweep file and plan its trials: decode it, check every parameter path and value against
 * the train config schema (every trial's config is decoded here, so a bad value fails before any
 * trial runs), and give each trial its id and job.
 */
export const loadSweep = Effect.fn("Sweep.load")(function*(file: string, runOverrides: ReadonlyArray<Override>) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const text = yield* fs.readFileString(file).pipe(Effect.mapError(() =>
    new ConfigError({ file, field: "(file)", message: `${file}: cannot read the sweep file.`, fix: "check the path; an example is configs/sweep.yaml" })
  ))
  const sweep = yield* decodeSweep(file, text)
  const space: Array<readonly [string, ParamSpace]> = []
  for (const [p, raw] of Object.entries(sweep.parameters)) space.push([p, yield* parseSpace(file, p, raw)])
  if (space.length === 0) {
    return yield* new ConfigError({ file, field: "parameters", message: `${file}: parameters: nothing to sweep.`, fix: "add a path and its values, e.g. train.learning_rate: [0.001, 0.01]" })
  }
  for (const o of runOverrides) {
    if (reserved.has(o.path)) {
      return yield* new ConfigError({ file, field: o.path, message: `${o.source} ${o.path}: a sweep names and resumes its trials itself.`, fix: `drop ${o.source}` })
    }
  }
  const swept = runOverrides.find((o) => space.some(([p]) => p === o.path))
  if (swept !== undefined) {
    return yield* new ConfigError({ file, field: swept.path, message: `${swept.source} sets ${swept.path}, which the sweep varies.`, fix: `drop ${swept.source} or the parameter` })
  }
  const baseFile = path.relative(process.cwd(), path.resolve(path.dirname(file), sweep.base)) || sweep.base
  const baseText = yield* readConfigText(baseFile).pipe(Effect.mapError((e) =>
    new ConfigError({ file, field: "base", message: `${file}: base: cannot read ${baseFile} (${sweep.base}, relative to the sweep file).`, fix: e.fix })
  ))
  const { search } = sweep
  if (search.kind === "asha" && search.max_epochs === undefined) {
    return yield* searchError(file, "search.max_epochs", "asha needs the most epochs a trial may train.", "add max_epochs: 16 under search")
  }
  const assignments = yield* assignmentsOf(file, sweep, space)

  // the base as the sweep's flags leave it: experiment and output directory of every trial
  const flagOverrides = runOverrides.filter((o) => o.path !== "experiment")
  const base = yield* decodeConfigText(baseFile, baseText, flagOverrides)
  if (search.kind === "asha" && !base.config.tracking.trackers.includes("jsonl")) {
    return yield* searchError(file, "search.kind", `asha follows each trial's metrics.jsonl, but ${baseFile} does not write it (tracking.trackers: ${show(base.config.tracking.trackers)}).`, `add jsonl to tracking.trackers in ${baseFile}, or pass --tracker jsonl`)
  }
  const experiment = sweep.experiment ?? runOverrides.find((o) => o.path === "experiment")?.raw ?? base.config.experiment
  const fixed = [
    ...flagOverrides.map((o) => ({ path: o.path, value: o.raw })),
    ...(search.kind === "asha" ? [{ path: "train.epochs", value: String(search.max_epochs) }] : [])
  ]
  const asha = search.kind === "asha"
    ? { metric: search.metric, mode: search.mode, rungs: rungsOf(search.grace_period, search.reduction_factor, search.max_epochs!), reduction_factor: search.reduction_factor }
    : null

  const trials: Array<TrialSpec> = []
  for (const params of assignments) {
    const overrides: Array<Override> = [
      ...fixed.map((f) => ({ path: f.path, raw: f.value, source: "--set" })),
      ...Object.entries(params).map(([p, v]) => ({ path: p, raw: setValue(v), source: `parameters.${p}` }))
    ]
    // every trial's config must decode: a bad value is reported against the sweep file, now
    yield* decodeConfigText(baseFile, baseText, overrides).pipe(Effect.mapError((e) =>
      e.field.startsWith("(") || !(e.field in params)
        ? e
        : new ConfigError({ file, field: `parameters.${e.field}`, message: `${file}: parameters.${e.field}: value ${show(params[e.field])}: ${e.message.split(": ").slice(2).join(": ") || e.message}`, fix: e.fix })
    ))
    trials.push({ id: trialIdOf({ params, fixed, baseText }), params })
  }
  const name = path.basename(file).replace(/\.ya?ml$/i, "")
  const id = sweepIdOf(name, trials.map((t) => t.id), { experiment, metric: sweep.metric, mode: sweep.mode, search })
  const outputDir = base.config.output_dir
  const jobs: Array<TrialJob> = trials.map((trial) => ({
    sweep: id,
    trial,
    base: baseFile,
    experiment,
    outputDir,
    fixed,
    retries: sweep.retries,
    asha
  }))
  return {
    file,
    id,
    definition: sweep,
    experiment,
    outputDir,
    sweepDir: path.join(outputDir, experiment, "sweeps", id),
    space,
    jobs,
    threadsPerTrial: base.config.runtime.threads
  } satisfies SweepPlan
})
