import type { Effect } from "effect"
import type { CacheEntry } from "../cache/StageCache.js"
import type { DirFile } from "../fs/atomic.js"

/** The pipeline's stages, in order. */
export const stageNames = ["load-config", "prepare-data", "train", "evaluate", "persist"] as const
export type StageName = (typeof stageNames)[number]

/** Which stages' output hashes key each stage (the edges of the pipeline graph). */
export const upstreamOf: Readonly<Record<StageName, ReadonlyArray<StageName>>> = {
  "load-config": [],
  "prepare-data": [],
  train: ["prepare-data"],
  evaluate: ["train", "prepare-data"],
  persist: ["train", "prepare-data", "evaluate"]
}

/** The upstream hashes of `name`, from the hashes known so far; undefined when one is not known. */
export const upstreamHashes = (
  name: StageName,
  known: Readonly<Partial<Record<StageName, string>>>
): Record<string, string> | undefined => {
  const out: Record<string, string> = {}
  for (const up of upstreamOf[name]) {
    const hash = known[up]
    if (hash === undefined) return undefined
    out[up] = hash
  }
  return out
}

/** A stage's output as files for the cache, plus a small JSON meta. */
export interface Encoded {
  readonly files: ReadonlyArray<DirFile>
  readonly meta: unknown
}

/**
 * A typed pipeline stage: what it reads from the config (part of its cache key), how it runs,
 * and how its output is stored in and loaded from the stage cache.
 */
export interface Stage<In, Out, E, R, DE = never, DR = never> {
  readonly name: StageName
  /** Bump when the stage's code changes what it produces: old cache entries stop matching. */
  readonly version: number
  /** The slice of its input (config and file contents) the stage reads: a change to it re-runs the stage. */
  readonly reads: (input: In) => unknown
  readonly run: (input: In) => Effect.Effect<Out, E, R>
  readonly encode: (output: Out) => Encoded
  readonly decode: (entry: CacheEntry) => Effect.Effect<Out, DE, DR>
}
