import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { ConfigError } from "../config/ConfigError.js"
import { metricsTable } from "../evaluate/table.js"
import { readRunConfig, runPipelineWith } from "../pipeline/Pipeline.js"
import type { RunOutcome } from "../pipeline/request.js"
import { layerFor } from "../progress/Progress.js"
import { configArg, type ConfigOptions, configOptions, overridesOf, runOptions } from "./flags.js"

/** Parse flags into a run request and run the pipeline with the right progress display. */
export const runWith = (
  config: string,
  options: ConfigOptions & { readonly dryRun: boolean; readonly force: boolean; readonly forceStage: ReadonlyArray<string> },
  only: string | null
) =>
  Effect.gen(function*() {
    const { overrides, bad } = overridesOf(options)
    if (bad.length > 0) {
      return yield* new ConfigError({
        file: config,
        field: "--set",
        message: `--set ${bad[0]}: expected path=value.`,
        fix: "write it as --set model.hidden_size=128"
      })
    }
    const request = { configFile: config, overrides, force: options.force, forceStages: options.forceStage, dryRun: options.dryRun, only }
    const resolved = yield* readRunConfig(request)
    // progress bars unless `--no-progress` or `runtime.progress: false` turn them off
    const outcome = yield* runPipelineWith(request, resolved).pipe(Effect.provide(layerFor(resolved.loaded.config.runtime.progress)))
    yield* report(outcome)
    return outcome
  })

const report = (outcome: RunOutcome) =>
  Effect.gen(function*() {
    if (outcome.location !== null && outcome.summary !== null) {
      const s = outcome.summary
      const cached = Object.values(s.stages).every((stage) => stage.cached)
      yield* Console.log(`\nrun ${s.experiment}/${s.run}: ${s.status}${cached ? " (every stage from cache)" : ""}`)
      if (s.best_epoch !== null) yield* Console.log(`best epoch ${s.best_epoch} of ${s.epochs_completed}${s.stopped_early ? " (stopped early)" : ""}`)
      const tracking = Object.entries(s.tracking ?? {}).filter(([name]) => name !== "memory")
      if (tracking.length > 0) {
        const parts = tracking.map(([name, d]) => `${name} ${d.delivered} delivered, ${d.spooled} spooled, ${d.dropped} dropped`)
        yield* Console.log(`tracking points: ${parts.join(" · ")}`)
      }
    }
    if (outcome.evaluation !== null) yield* Console.log(metricsTable(outcome.evaluation))
    if (outcome.location !== null) yield* Console.log(`run directory: ${outcome.location.runDir}`)
  })

/** `pipeline run <config.yaml> [flags]`: every stage, each from cache when unchanged. */
export const runCommand = Command.make(
  "run",
  { config: configArg, ...configOptions, ...runOptions },
  ({ config, ...options }) => runWith(config, options, null)
).pipe(Command.withDescription("Run load config → prepare data → train → evaluate → persist, re-running only what changed."))
