import { Path } from "@effect/platform"
import { Cause, Clock, Effect, Exit, Option } from "effect"
import { resumeCommand } from "../config/commandLine.js"
import { renderConfig } from "../config/loadConfig.js"
import { Progress } from "../progress/Progress.js"
import { writeReport } from "../report/writeReport.js"
import { ActiveRun, openCheckpoints, prepareResume } from "../resume/ActiveRun.js"
import { RunFiles, type RunStatus, type SummaryPart } from "../rundir/files.js"
import { claimRunDir, resumeRunDir } from "../rundir/location.js"
import * as RunDirectory from "../rundir/RunDirectory.js"
import { Signals } from "../signals/Signals.js"
import type { StageRun } from "../stages/runStage.js"
import type { AnyStage, RunConfig } from "../stages/Stage.js"
import type { DeliveryLog } from "../tracking/FanOut.js"
import { TrackerLayer } from "../tracking/layerFromNames.js"
import { uploadArtifacts } from "../tracking/mlflowArtifacts.js"
import { writePlotImages } from "../tracking/tensorBoardImages.js"
import { uploadWandbArtifact } from "../tracking/wandbArtifacts.js"
import { configParams } from "../tracking/params.js"
import { loggedMarks } from "../tracking/resumeMarks.js"
import { type RunInfo, Tracker } from "../tracking/Tracker.js"
import type { RunRequest } from "./request.js"
import { buildSummary } from "./summary.js"

const statusOf = (exit: Exit.Exit<unknown, unknown>): RunStatus =>
  Exit.isSuccess(exit) ? "success" : Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "failed"

/** summary.json's fields from the outputs of the stages satisfied so far. */
export const summaryParts = (runs: ReadonlyMap<string, StageRun<unknown>>, stages: ReadonlyArray<AnyStage>): SummaryPart =>
  Object.assign({}, ...stages.map((stage) => {
    const run = runs.get(stage.name)
    return run === undefined ? {} : stage.summarize?.(run.output) ?? {}
  }))

/**
 * Run `stages` (those that write into the run) inside the run directory: claimed (or found for
 * `--resume`, which is checked before anything in it changes), config.yaml written, the checkpoint
 * store opened once, trackers open; summary.json is written on every exit and the report on success.
 */
export const withinRun = <A, E, R>(
  req: RunRequest,
  config: RunConfig,
  runs: ReadonlyMap<string, StageRun<unknown>>,
  all: ReadonlyArray<AnyStage>,
  stages: Effect.Effect<A, E, R>
) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const progress = yield* Progress
    const signals = yield* Signals
    const c = config.loaded.config
    const startedAt = yield* Clock.currentTimeMillis
    const resume = c.checkpoint.resume
    const location = resume !== null ? yield* resumeRunDir(c, resume) : yield* claimRunDir(c, runs.get("load-config")?.hash ?? "")
    const dir = yield* RunDirectory.make(location)
    const checkpoints = yield* openCheckpoints(c, dir)
    // read before the resume trims metrics.jsonl: servers and event files keep what earlier attempts logged
    const resumeMarks = resume === null ? undefined : loggedMarks(Option.getOrElse(yield* dir.readText(RunFiles.metrics), () => ""))
    const point = yield* prepareResume(c, summaryParts(runs, all).data?.fingerprint ?? "", checkpoints, dir)
    yield* progress.note(`run directory: ${location.runDir}`)
    yield* signals.setResumeCommand(resumeCommand(req.configFile, req.overrides, location.runName))
    yield* dir.write(RunFiles.config, renderConfig(config.loaded, true))
    const info: RunInfo = {
      experiment: location.experiment,
      runName: location.runName,
      runDir: location.runDir,
      params: configParams(c),
      configText: renderConfig(config.loaded, false),
      tags: c.tags,
      resumed: location.existing
    }
    const deliveries: DeliveryLog = {}
    const trackers = (yield* TrackerLayer)(c.tracking.trackers, info, {
      tensorboard: { histogramEvery: c.tracking.histogram_every },
      ...(resumeMarks === undefined ? {} : { resumeMarks }),
      deliveries,
      notices: { note: (line) => progress.note(line), activity: signals.setActivity }
    })
    const summaryOf = (status: RunStatus) =>
      Effect.map(Clock.currentTimeMillis, (finishedAt) =>
        buildSummary({ config: c, configFile: path.resolve(req.configFile), location, startedAt, finishedAt, status, stages: runs, parts: summaryParts(runs, all), tracking: deliveries }))
    const result = yield* Effect.zipRight(Effect.flatMap(Tracker, (t) => t.logParams(info.params)), stages).pipe(
      Effect.provide(trackers),
      Effect.provideService(ActiveRun, Option.some({ dir, checkpoints, resume: point })),
      Effect.onExit((exit) =>
        Exit.isSuccess(exit)
          ? Effect.void
          : Effect.flatMap(summaryOf(statusOf(exit)), dir.writeSummary).pipe(
            Effect.catchAll((e) => progress.note(`warning: ${RunFiles.summary} could not be written: ${e.message}`))
          )
      )
    )
    const summary = yield* summaryOf("success")
    yield* dir.writeSummary(summary)
    const report = yield* Effect.either(writeReport(dir))
    if (report._tag === "Left") yield* progress.note(`warning: the report could not be written: ${report.left.message}`)
    if (c.tracking.trackers.includes("tensorboard")) {
      const images = yield* Effect.either(writePlotImages(location.runDir, summary.epochs_completed))
      if (images._tag === "Left") yield* progress.note(`warning: the plots could not be added to TensorBoard: ${images.left.message}`)
    }
    if (c.tracking.trackers.includes("mlflow")) {
      const artifacts = yield* uploadArtifacts(location.runDir, { checkpoints: c.tracking.mlflow.log_checkpoints })
      yield* progress.note(
        artifacts.problem === null
          ? `mlflow: ${artifacts.uploaded.length} artifact(s) uploaded (model, plots, report, config, eval, summary${c.tracking.mlflow.log_checkpoints ? ", checkpoints" : ""})`
          : `warning: mlflow artifacts not uploaded: ${artifacts.problem} (\`pipeline runs sync ${location.runDir}\` uploads them later)`
      )
    }
    if (c.tracking.trackers.includes("wandb")) {
      const artifact = yield* uploadWandbArtifact(location.runDir)
      yield* progress.note(
        artifact.problem !== null
          ? `warning: W&B artifact not uploaded: ${artifact.problem} (\`pipeline runs sync ${location.runDir}\` uploads it later)`
          : artifact.unchanged
          ? `wandb: artifact ${artifact.artifact} unchanged (the server has this content)`
          : `wandb: artifact ${artifact.artifact} logged (${artifact.uploaded.length} file(s) uploaded)`
      )
    }
    return { location, summary, result }
  })
