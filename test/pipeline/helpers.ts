import { NodeContext } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Override } from "../../src/config/loadConfig.js"
import { layerSilent } from "../../src/progress/Progress.js"
import { runPipeline } from "../../src/pipeline/Pipeline.js"
import type { RunRequest } from "../../src/pipeline/request.js"
import { layerFromNames, TrackerLayer, type TrackingOptions } from "../../src/tracking/layerFromNames.js"
import { makeMemory } from "../../src/tracking/Memory.js"

/** A fresh output directory for one test. */
export const tempDir = (prefix = "lstm-pipeline-"): string => mkdtempSync(join(tmpdir(), prefix))

export const fixture = (name: string): string => join(import.meta.dirname, "..", "fixtures", "pipeline", name)

/** Run the pipeline in-process with an in-memory tracker beside the config's own (given `tracking` options, e.g. a server's URI). */
export const runInProcess = (
  config: string,
  overrides: ReadonlyArray<Override>,
  options: Partial<Pick<RunRequest, "force" | "forceStages" | "only">> & {
    readonly forceStages?: ReadonlyArray<string>
    readonly tracking?: TrackingOptions
  } = {}
) => {
  const memory = makeMemory()
  const program = runPipeline({
    configFile: config,
    overrides,
    force: options.force ?? false,
    forceStages: options.forceStages ?? [],
    dryRun: false,
    only: options.only ?? null
  }).pipe(
    Effect.provide(Layer.mergeAll(NodeContext.layer, layerSilent)),
    // the tests swap the tracker layer: the config's own backends plus an in-memory one to assert on
    Effect.provideService(TrackerLayer, (names, info, trackerOptions) => layerFromNames([...names, "memory"], info, { ...trackerOptions, ...options.tracking, memory }))
  )
  return { memory, program }
}

/** `--set path=raw` as an override. */
export const set = (path: string, raw: string): Override => ({ path, raw, source: "--set" })

/** `--output-dir` as an override. */
export const outputDir = (dir: string): Override => ({ path: "output_dir", raw: dir, source: "--output-dir" })
