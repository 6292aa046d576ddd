import { Path } from "@effect/platform"
import { Effect, Option } from "effect"
import { StageCache } from "../cache/StageCache.js"
import { checkRuntime } from "../config/runtimeChecks.js"
import { decodeConfigText, readConfigText } from "../config/loadConfig.js"
import { ActiveRun } from "../resume/ActiveRun.js"
import { ensureWritableOutputDir } from "../rundir/outputDir.js"
import { Evaluate } from "../stages/Evaluate.js"
import { PipelineStages } from "../stages/index.js"
import { PrepareData } from "../stages/PrepareData.js"
import { outputOf, runStage, type StageRun } from "../stages/runStage.js"
import type { AnyStage, RunConfig } from "../stages/Stage.js"
import { layerFromSpecs } from "../tracking/FanOut.js"
import { buildHint, modeOf, planRun } from "./plan.js"
import type { RunOutcome, RunRequest } from "./request.js"
import { withinRun } from "./session.js"
import { checkValidateOnly, validateCheckpoint } from "./validate.js"

/** The stages a request runs: all of them, or up to `pipeline stage <name>`. */
const stagesOf = (req: RunRequest, all: ReadonlyArray<AnyStage>): ReadonlyArray<AnyStage> =>
  all.slice(0, req.only === null ? all.length : all.findIndex((s) => s.name === req.only) + 1)

/** Services for stages outside a run directory: no active run, no trackers. */
const detached = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.provide(layerFromSpecs([])), Effect.provideService(ActiveRun, Option.none()))

const outcomeOf = (runs: ReadonlyMap<string, StageRun<unknown>>, run: Pick<RunOutcome, "location" | "summary">): RunOutcome => ({
  ...run,
  evaluation: outputOf(runs, Evaluate) ?? null,
  stages: Object.fromEntries(runs)
})

/**
 * Run the stages in order, each from the cache when its inputs are unchanged. Stages before the
 * first that writes into the run directory run detached; the rest run inside the run (claimed
 * after their prechecks pass), unless `pipeline stage <name>` asks for a stage that writes none.
 */
const runStages = (req: RunRequest, config: RunConfig) =>
  Effect.gen(function*() {
    yield* checkValidateOnly(config)
    const all = yield* PipelineStages
    const runs = new Map<string, StageRun<unknown>>()
    const satisfy = (stages: ReadonlyArray<AnyStage>) =>
      Effect.forEach(stages, (stage) =>
        Effect.map(runStage(stage, runs, config, modeOf(req, stage, config), buildHint(req, stage, all)), (run) => void runs.set(stage.name, run)), {
        discard: true
      })
    const chosen = stagesOf(req, all)
    const split = chosen.findIndex((s) => s.inRun)
    const before = split < 0 ? chosen : chosen.slice(0, split)
    const inRun = split < 0 ? [] : chosen.slice(split)
    yield* detached(satisfy(before))

    const resume = config.loaded.config.checkpoint.resume
    const dataset = outputOf(runs, PrepareData)
    if (config.loaded.config.checkpoint.validate_only && resume !== null && dataset !== undefined) {
      const validated = yield* validateCheckpoint(config, dataset, resume)
      return { ...outcomeOf(runs, { location: validated.location, summary: null }), evaluation: validated.evaluation }
    }
    const claims = inRun.length > 0 && (req.only === null || inRun.some((s) => s.name === req.only && s.inRun))
    if (!claims) {
      yield* detached(satisfy(inRun))
      return outcomeOf(runs, { location: null, summary: null })
    }
    yield* detached(Effect.forEach(inRun, (stage) => stage.precheck?.(config) ?? Effect.void, { discard: true }))
    const run = yield* withinRun(req, config, runs, all, satisfy(inRun))
    return outcomeOf(runs, run)
  })

/** The config of a request, read once and decoded through the schema, with the checks that need no files. */
export const readRunConfig = Effect.fn("Pipeline.readConfig")(function*(req: RunRequest) {
  const path = yield* Path.Path
  const text = yield* readConfigText(req.configFile)
  const loaded = yield* decodeConfigText(req.configFile, text, req.overrides)
  yield* checkRuntime(req.configFile, loaded.config)
  return {
    source: { file: req.configFile, text, overrides: req.overrides },
    loaded,
    configDir: path.dirname(path.resolve(req.configFile))
  } satisfies RunConfig
})

/** Run the pipeline on a config already read: each stage from the cache when unchanged. */
export const runPipelineWith = Effect.fn("Pipeline.run")(function*(req: RunRequest, config: RunConfig) {
  const path = yield* Path.Path
  const outputDir = config.loaded.config.output_dir
  const cache = StageCache.layer(path.resolve(outputDir, ".cache"))
  if (req.dryRun) {
    yield* detached(planRun(req, config)).pipe(Effect.provide(cache))
    return { location: null, summary: null, evaluation: null, stages: {} } satisfies RunOutcome
  }
  yield* ensureWritableOutputDir(outputDir)
  return yield* runStages(req, config).pipe(Effect.provide(cache))
})

/** Run the pipeline: load config → prepare data → train → evaluate → persist, each from cache when unchanged. */
export const runPipeline = (req: RunRequest) => Effect.flatMap(readRunConfig(req), (config) => runPipelineWith(req, config))
