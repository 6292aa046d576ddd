import { Path } from "@effect/platform"
import { Cause, Context, Effect, Exit, Option } from "effect"
import { StageCache } from "../cache/StageCache.js"
import { ConfigError } from "../config/ConfigError.js"
import { decodeConfigText, type Override, readConfigText, renderConfig } from "../config/loadConfig.js"
import type { TrainConfig } from "../config/TrainConfig.js"
import type { Dataset } from "../data/Dataset.js"
import { acquireDevice, selectDevice } from "../device/Device.js"
import { runsOnGpu } from "../device/select.js"
import { EngineError } from "../engine/Engine.js"
import { sha256File } from "../fs/hash.js"
import { Progress } from "../progress/Progress.js"
import { writeReport } from "../report/index.js"
import { signals } from "../run/signals.js"
import { ensureWritableOutputDir } from "../run/outputDir.js"
import { commandLine, resumeCommand } from "../run/resumeCommand.js"
import { claimRunDir, resumeRunDir, type RunLocation, writeRunFile } from "../run/RunDir.js"
import { buildSummary, hyperparameters, type RunSummary, summaryJson } from "../run/summary.js"
import { truncateJsonlAfter } from "../tracking/Jsonl.js"
import { layerFromNames, type TrackerName, type TrackingOptions } from "../tracking/layerFromNames.js"
import { type RunInfo, type RunStatus, Tracker } from "../tracking/Tracker.js"
import { evaluate, Evaluate, type Evaluation, evaluateReads, evaluateVersion } from "./Evaluate.js"
import { LoadConfig } from "./LoadConfig.js"
import { persist, Persist, persistReads, persistVersion } from "./Persist.js"
import { predictWith } from "./predict.js"
import { PrepareData } from "./PrepareData.js"
import { modeFor, runStage, type StageRun } from "./runStage.js"
import { type StageName, upstreamHashes } from "./Stage.js"
import { engineKind, Train, train, trainReads, trainVersion } from "./Train.js"
import { loadCheckpointModel, resumePosition } from "./checkpointModel.js"

/** Tracker backends added to the config's own: tests add an in-memory one to assert on what was logged. */
export class ExtraTrackers extends Context.Reference<ExtraTrackers>()("lstm-pipeline/ExtraTrackers", {
  defaultValue: (): { readonly names: ReadonlyArray<TrackerName>; readonly options: TrackingOptions } => ({ names: [], options: {} })
}) {}

/** What `pipeline run` and `pipeline stage` ask for. */
export interface RunRequest {
  readonly configFile: string
  readonly overrides: ReadonlyArray<Override>
  readonly force: boolean
  readonly forceStages: ReadonlyArray<StageName>
  readonly dryRun: boolean
  /** `pipeline stage <name>`: upstream from the cache only, this stage forced, nothing after it. */
  readonly only: StageName | null
}

/** What a finished run reports. */
export interface RunOutcome {
  readonly location: RunLocation | null
  readonly summary: RunSummary | null
  readonly evaluation: Evaluation | null
  readonly stages: Readonly<Partial<Record<StageName, StageRun<unknown>>>>
}

/** The command that builds `stage`'s output (named when `pipeline stage` finds it missing). */
const buildCommand = (req: RunRequest, stage: StageName): string =>
  commandLine(stage === "load-config" ? ["run"] : ["stage", stage], req.configFile, req.overrides)

const runStatusOf = (exit: Exit.Exit<unknown, unknown>): RunStatus =>
  Exit.isSuccess(exit) ? "success" : Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "failed"

/** Run the pipeline: load config → prepare data → train → evaluate → persist, each from cache when unchanged. */
export const runPipeline = Effect.fn("Pipeline.run")(function*(req: RunRequest) {
  const path = yield* Path.Path
  const text = yield* readConfigText(req.configFile)
  // decoded once up front for where the cache lives; LoadConfig then records it as a stage
  const peek = yield* decodeConfigText(req.configFile, text, req.overrides)
  if (!req.dryRun) yield* ensureWritableOutputDir(peek.config.output_dir)
  const cacheRoot = path.resolve(peek.config.output_dir, ".cache")
  return yield* pipelineBody(req, text).pipe(Effect.provide(StageCache.layer(cacheRoot)))
})

const pipelineBody = (req: RunRequest, text: string) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const progress = yield* Progress
    const modeOf = (name: StageName) =>
      req.only === null ? modeFor(name, req) : name === req.only ? "force" as const : "require" as const
    const hint = (name: StageName) => `build it with: ${buildCommand(req, name)}`
    const stages: Partial<Record<StageName, StageRun<unknown>>> = {}
    const hashes = () => Object.fromEntries(Object.entries(stages).map(([name, run]) => [name, run.hash]))
    const done = (location: RunLocation | null, evaluation: Evaluation | null = null, summary: RunSummary | null = null): RunOutcome => ({
      location,
      summary,
      evaluation,
      stages
    })

    if (req.dryRun) {
      yield* planRun(req, text)
      return done(null)
    }
    const loadRun = yield* runStage(LoadConfig, { file: req.configFile, text, overrides: req.overrides }, {}, modeOf("load-config"), hint("load-config"))
    stages["load-config"] = loadRun
    const loaded = loadRun.output
    const config = loaded.config
    if (req.only === "load-config") return done(null)

    const configDir = path.dirname(path.resolve(req.configFile))
    const csvSha256 = yield* csvHash(config, configDir)
    const dataRun = yield* runStage(PrepareData, { config, configDir, csvSha256 }, {}, modeOf("prepare-data"), hint("prepare-data"))
    stages["prepare-data"] = dataRun
    const dataset = dataRun.output
    if (req.only === "prepare-data") return done(null)

    // an explicitly requested device must exist before anything is written
    const deviceRequest = { device: config.runtime.device, gpu: config.runtime.gpu, cpu: config.runtime.device === "cpu" }
    if (config.runtime.device !== "auto" || config.runtime.gpu !== null) yield* selectDevice(deviceRequest)

    const resume = config.checkpoint.resume
    if (config.checkpoint.validate_only && resume === null) {
      return yield* new ConfigError({
        file: req.configFile,
        field: "checkpoint.validate_only",
        message: "--validate-only evaluates a checkpoint, but no --resume was given.",
        fix: "add --resume <last|best|checkpoint dir>"
      })
    }
    const needsRunDir = req.only === null || req.only === "train" || req.only === "persist"
    const location = resume !== null
      ? yield* resumeRunDir(config, resume)
      : needsRunDir
      ? yield* claimRunDir(config, loadRun.hash)
      : null

    if (location !== null && config.checkpoint.validate_only && resume !== null) {
      const evaluation = yield* validateCheckpoint(config, dataset, location, resume)
      return done(location, evaluation)
    }

    const startedAt = new Date()
    const body = Effect.gen(function*() {
      const tracker = yield* Tracker
      yield* tracker.logParams(hyperparameters(config))
      const trainStage = Train((cfg) => trainWithDevice(cfg, dataset, location, resume, deviceRequest))
      const trainRun = yield* runStage(
        trainStage,
        config,
        upstreamHashes("train", hashes())!,
        resume !== null ? "force" : modeOf("train"),
        hint("train")
      )
      stages.train = trainRun
      const model = trainRun.output
      if (trainRun.cached) {
        // a cached model still gives this run its curves
        for (const r of model.state.history) {
          yield* tracker.logMetrics(
            { "train/loss": r.train_loss, ...(r.val_loss === null ? {} : { "val/loss": r.val_loss }), lr: r.lr },
            r.epoch,
            "epoch"
          )
        }
      }
      if (req.only === "train") return { model, evaluation: null }

      const evalStage = Evaluate((cfg) => evaluate({ config: cfg, dataset, predict: predictWith(model) }))
      const evalRun = yield* runStage(evalStage, config, upstreamHashes("evaluate", hashes())!, modeOf("evaluate"), hint("evaluate"))
      stages.evaluate = evalRun
      const evaluation = evalRun.output
      const final: Record<string, number> = {}
      for (const [split, report] of Object.entries(evaluation.report.splits)) {
        if (report === undefined) continue
        for (const [metric, value] of Object.entries(report.model)) if (Number.isFinite(value)) final[`${split}/${metric}`] = value
      }
      yield* tracker.logMetrics(final, model.state.history.length, "final")
      if (req.only === "evaluate") return { model, evaluation }

      const persistRun = yield* runStage(
        Persist(persist),
        { dataset, model, evaluation },
        upstreamHashes("persist", hashes())!,
        modeOf("persist"),
        hint("persist")
      )
      stages.persist = persistRun
      if (location !== null) {
        for (const file of persistRun.output.files) yield* writeRunFile(location.runDir, file.name, file.data)
      }
      return { model, evaluation }
    })

    if (location === null) {
      const result = yield* body.pipe(Effect.provide(layerFromNames([], { experiment: "", runName: "", runDir: "", params: {}, configText: "", tags: [], resumed: false })))
      if (result.evaluation !== null) yield* progress.note(metricsTable(result.evaluation))
      return done(null, result.evaluation)
    }

    const info: RunInfo = {
      experiment: location.experiment,
      runName: location.runName,
      runDir: location.runDir,
      params: hyperparameters(config),
      configText: renderConfig(loaded, false),
      tags: config.tags,
      resumed: location.existing
    }
    if (resume !== null) {
      // checked before anything in the run directory changes: a refused resume leaves it as it was
      const position = yield* resumePosition(config, dataset, location.runDir, resume)
      // metric lines past the checkpoint would be written again: drop them before trackers open
      // (batch lines are numbered by global step, epoch lines by the epoch they closed)
      yield* truncateJsonlAfter(path.join(location.runDir, "metrics.jsonl"), {
        batch: position?.step ?? 0,
        epoch: position === null ? 0 : position.epoch - 1,
        final: -1
      })
    }
    yield* progress.note(`run directory: ${location.runDir}`)
    signals.setResumeCommand(resumeCommand(req.configFile, req.overrides, location.runName))
    yield* writeRunFile(location.runDir, "config.yaml", renderConfig(loaded, true))
    const extra = yield* ExtraTrackers
    const trackerLayer = layerFromNames([...config.tracking.trackers, ...extra.names], info, {
      tensorboard: { histogramEvery: config.tracking.histogram_every },
      ...extra.options
    })
    const finishedRun = yield* body.pipe(
      Effect.provide(trackerLayer),
      Effect.onExit((exit) =>
        Exit.isSuccess(exit)
          ? Effect.void
          : writeRunFile(
            location.runDir,
            "summary.json",
            summaryJson(buildSummary({ config, configFile: path.resolve(req.configFile), location, startedAt, status: runStatusOf(exit), stages, model: null, evaluation: null, dataset }))
          ).pipe(Effect.ignore)
      )
    )
    const summary = buildSummary({
      config,
      configFile: path.resolve(req.configFile),
      location,
      startedAt,
      status: "success",
      stages,
      model: finishedRun.model,
      evaluation: finishedRun.evaluation,
      dataset
    })
    yield* writeRunFile(location.runDir, "summary.json", summaryJson(summary))
    const report = yield* Effect.either(writeReport(location.runDir))
    if (report._tag === "Left") yield* progress.note(`warning: the report could not be written: ${report.left.message}`)
    return done(location, finishedRun.evaluation, summary)
  })

/** Select (and for tfjs, acquire) the device, then train. */
const trainWithDevice = (
  config: TrainConfig,
  dataset: Dataset,
  location: RunLocation | null,
  resume: string | null,
  request: { readonly device: TrainConfig["runtime"]["device"]; readonly gpu: number | null; readonly cpu: boolean }
) =>
  Effect.scoped(
    Effect.gen(function*() {
      const progress = yield* Progress
      const selection = yield* selectDevice(request)
      if (selection.warning !== undefined) yield* progress.note(`warning: ${selection.warning}`)
      const gpu = runsOnGpu(selection.status)
      const kind = engineKind(config, gpu)
      if (kind === "tfjs") {
        const handle = yield* acquireDevice(selection)
        yield* progress.note(`device: ${handle.name} (tfjs engine)`)
      } else {
        yield* progress.note(`device: cpu (${kind} engine)`)
      }
      const training = train({ config, dataset, runDir: location?.runDir ?? "", resume, deviceIsGpu: gpu })
      // a tfjs backend that breaks mid-training (e.g. a GPU driver problem) is a training failure, not a bug here
      return yield* kind === "tfjs"
        ? training.pipe(Effect.catchAllDefect((defect) =>
          new EngineError({ reason: `tfjs on ${selection.name} failed: ${defect instanceof Error ? defect.message : String(defect)}` })
        ))
        : training
    })
  )

/**
 * `--dry-run`: the resolved config with provenance, then per stage whether it would come from the
 * cache or run, and why; nothing is written.
 */
const planRun = (req: RunRequest, text: string) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const cache = yield* StageCache
    const progress = yield* Progress
    const loaded = yield* decodeConfigText(req.configFile, text, req.overrides)
    const config = loaded.config
    const configDir = path.dirname(path.resolve(req.configFile))
    const csvSha256 = yield* csvHash(config, configDir)
    yield* progress.note(renderConfig(loaded, true))
    const reads: ReadonlyArray<readonly [StageName, number, unknown]> = [
      ["load-config", LoadConfig.version, LoadConfig.reads({ file: req.configFile, text, overrides: req.overrides })],
      ["prepare-data", PrepareData.version, PrepareData.reads({ config, configDir, csvSha256 })],
      ["train", trainVersion, trainReads(config)],
      ["evaluate", evaluateVersion, evaluateReads(config)],
      ["persist", persistVersion, persistReads]
    ]
    const known: Partial<Record<StageName, string>> = {}
    const lines = ["plan (dry run, nothing written):"]
    for (const [name, version, slice] of reads) {
      const forced = req.force || req.forceStages.includes(name)
      const upstream = upstreamHashes(name, known)
      if (upstream === undefined) {
        lines.push(`  ▶ ${name.padEnd(12)} would run (an upstream stage runs first)`)
        continue
      }
      const parts = { stage: name, version, config: slice, upstream }
      const status = yield* cache.check(name, cache.keyOf(parts))
      if (status._tag === "Hit" && !forced) {
        known[name] = status.entry.outputHash
        lines.push(`  ✓ ${name.padEnd(12)} cached`)
      } else {
        const reasons = forced ? ["forced"] : (yield* cache.explain(name, parts)).reasons
        lines.push(`  ▶ ${name.padEnd(12)} would run (${reasons.join("; ")})`)
      }
    }
    yield* progress.note(lines.join("\n"))
  })

/** Content hash of a CSV source, so that editing the file re-runs PrepareData; null otherwise. */
const csvHash = (config: TrainConfig, configDir: string) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    if (config.data.source.kind !== "csv") return null
    const hashed = yield* Effect.option(sha256File(path.resolve(configDir, config.data.source.path)))
    return Option.getOrNull(Option.map(hashed, (h) => h.sha256))
  })

/** Evaluate one checkpoint without training (`--resume X --validate-only`). */
const validateCheckpoint = (config: TrainConfig, dataset: Dataset, location: RunLocation, resume: string) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const progress = yield* Progress
    const model = yield* loadCheckpointModel(config, dataset, location.runDir, resume)
    const evaluation = yield* evaluate({ config, dataset, predict: predictWith(model.model) })
    const name = path.basename(model.path)
    yield* writeRunFile(location.runDir, `validation/${name}.json`, JSON.stringify(evaluation.report, null, 2) + "\n")
    yield* progress.note(`validated ${model.path}`)
    return evaluation
  })

const fmt = (x: number): string => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(4)) : "-")

/** A small table of model vs baselines per split, in original units. */
export const metricsTable = (evaluation: Evaluation): string => {
  const lines: Array<string> = []
  for (const [split, report] of Object.entries(evaluation.report.splits)) {
    if (report === undefined) continue
    lines.push(`${split}:`)
    lines.push(`  ${"".padEnd(16)}${["rmse", "mae", "mape%", "smape%", "r2", "dir.acc"].map((h) => h.padStart(10)).join("")}`)
    const row = (name: string, m: typeof report.model) =>
      `  ${name.padEnd(16)}${[m.rmse, m.mae, m.mape, m.smape, m.r2, m.directional_accuracy].map((v) => fmt(v).padStart(10)).join("")}`
    lines.push(row("model", report.model))
    lines.push(row("last value", report.baselines.last_value))
    lines.push(row(`seasonal naive`, report.baselines.seasonal_naive))
    lines.push(
      `  skill: ${(100 * report.skill.vs_seasonal_naive).toFixed(1)}% lower RMSE than seasonal naive (season ${evaluation.report.season}), ${
        (100 * report.skill.vs_last_value).toFixed(1)
      }% lower than last value`
    )
  }
  return lines.join("\n")
}

