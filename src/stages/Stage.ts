import type { Effect } from "effect"
import type { CacheEntry } from "../cache/StageCache.js"
import type { LoadedConfig, Override } from "../config/loadConfig.js"
import type { AppError } from "../errors/AppError.js"
import type { DirFile } from "../fs/atomic.js"
import type { SummaryPart } from "../rundir/files.js"
import type { StageServices } from "./services.js"

/** The config file as read, with the command line's overrides. */
export interface ConfigSource {
  readonly file: string
  readonly text: string
  readonly overrides: ReadonlyArray<Override>
}

/** What every stage may read besides its upstream outputs: the config as given and as decoded. */
export interface RunConfig {
  readonly source: ConfigSource
  readonly loaded: LoadedConfig
  /** Directory of the config file: relative data paths resolve against it. */
  readonly configDir: string
}

/** A stage's output as files for the cache, plus a small JSON meta. */
export interface Encoded {
  readonly files: ReadonlyArray<DirFile>
  readonly meta: unknown
}

/** The stages a stage needs, by the name its input calls their outputs. */
export interface StageNeeds {
  readonly [input: string]: AnyStage
}

/** The output a stage produces. */
export type OutputOf<S> = S extends Stage<infer Out, infer _Needs, infer _E, infer _R> ? Out : never

/** A stage's typed input: the outputs of the stages it needs. */
export type Inputs<Needs extends StageNeeds> = { readonly [K in keyof Needs]: OutputOf<Needs[K]> }

/**
 * A typed pipeline stage. It declares the stages it `needs` and receives their outputs as typed
 * input; the device, the run directory and the resume point come from services. Its cache key is
 * its name, version, what it `reads` and its upstream output hashes, computed before it runs.
 */
export interface Stage<Out, Needs extends StageNeeds = StageNeeds, E extends AppError = AppError, R = StageServices> {
  readonly name: string
  /** Bump when the stage's code changes what it produces: old cache entries stop matching. */
  readonly version: number
  readonly needs: Needs
  /** True when running the stage writes into the run directory (which is claimed before it runs). */
  readonly inRun: boolean
  /** True when the config makes the stage run whatever the cache holds (Train under `--resume`). */
  alwaysRuns?(config: RunConfig): boolean
  /** Checks that must pass before the run directory is claimed (an explicitly requested device exists). */
  precheck?(config: RunConfig): Effect.Effect<void, E, R>
  /** The slice of the config (and file contents) the stage reads: a change to it re-runs the stage. */
  reads(config: RunConfig): Effect.Effect<unknown, E, R>
  run(input: Inputs<Needs>, config: RunConfig): Effect.Effect<Out, E, R>
  /** What a satisfied stage, run or cached, gives the run: files in the run directory, tracker points. */
  publish?(output: Out, cached: boolean, input: Inputs<Needs>, config: RunConfig): Effect.Effect<void, E, R>
  /** The fields of summary.json this stage's output fills in. */
  summarize?(output: Out): SummaryPart
  encode(output: Out): Encoded
  decode(entry: CacheEntry): Effect.Effect<Out, unknown>
}

/** Any stage, whatever it produces: what the pipeline's list holds. */
export type AnyStage = Stage<unknown, StageNeeds, AppError, StageServices>
