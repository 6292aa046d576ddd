import { Effect } from "effect"
import { StageCache } from "../cache/StageCache.js"
import { commandLine } from "../config/commandLine.js"
import { renderConfig } from "../config/loadConfig.js"
import { Progress } from "../progress/Progress.js"
import { PipelineStages } from "../stages/index.js"
import { type CacheMode, keyParts, upstreamHashes } from "../stages/runStage.js"
import type { AnyStage, RunConfig } from "../stages/Stage.js"
import type { RunRequest } from "./request.js"

/** Whether the request makes `stage` run whatever the cache holds. */
const forced = (req: RunRequest, stage: AnyStage, config: RunConfig): boolean =>
  req.force || req.forceStages.includes(stage.name) || (stage.alwaysRuns?.(config) ?? false)

/** How the cache is used for `stage`: `pipeline stage X` forces X and insists on a cached upstream. */
export const modeOf = (req: RunRequest, stage: AnyStage, config: RunConfig): CacheMode =>
  stage.alwaysRuns?.(config) || (req.only === null ? forced(req, stage, config) : stage.name === req.only)
    ? "force"
    : req.only === null
    ? "use"
    : "require"

/** The command that builds `stage`'s output (named when `pipeline stage` finds it missing). */
export const buildHint = (req: RunRequest, stage: AnyStage, all: ReadonlyArray<AnyStage>): string =>
  `build it with: ${commandLine(stage === all[0] ? ["run"] : ["stage", stage.name], req.configFile, req.overrides)}`

/**
 * `--dry-run`: the resolved config with provenance, then per stage whether it would come from the
 * cache or run, and why; nothing is written.
 */
export const planRun = Effect.fn("Pipeline.plan")(function*(req: RunRequest, config: RunConfig) {
  const cache = yield* StageCache
  const progress = yield* Progress
  yield* progress.note(renderConfig(config.loaded, true))
  const known = new Map<string, string>()
  const lines = ["plan (dry run, nothing written):"]
  for (const stage of yield* PipelineStages) {
    const upstream = upstreamHashes(stage, known)
    if (upstream === undefined) {
      lines.push(`  ▶ ${stage.name.padEnd(12)} would run (an upstream stage runs first)`)
      continue
    }
    const parts = yield* keyParts(stage, config, upstream)
    const status = yield* cache.check(stage.name, cache.keyOf(parts))
    if (status._tag === "Hit" && !forced(req, stage, config)) {
      known.set(stage.name, status.entry.outputHash)
      lines.push(`  ✓ ${stage.name.padEnd(12)} cached`)
    } else {
      const reasons = forced(req, stage, config) ? ["forced"] : (yield* cache.explain(stage.name, parts)).reasons
      lines.push(`  ▶ ${stage.name.padEnd(12)} would run (${reasons.join("; ")})`)
    }
  }
  yield* progress.note(lines.join("\n"))
})
