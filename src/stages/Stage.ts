import type { Effect } from "effect"
import type { CacheEntry } from "../cache/StageCache.js"
import type { DirFile } from "../fs/atomic.js"

/** The pipeline's stages, in order. */
export const stageNames = ["load-config", "prepare-data", "train", "evaluate", "persist"] as const
export type StageName = (typeof stageNames)[number]

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
