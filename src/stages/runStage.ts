import { Effect, Either, Option, Schema } from "effect"
import { StageCache } from "../cache/StageCache.js"
import { Progress } from "../progress/Progress.js"
import type { Stage, StageName } from "./Stage.js"

/** How one stage was satisfied. */
export interface StageRun<Out> {
  readonly output: Out
  /** Hash of the stage's output files: downstream stages key on it. */
  readonly hash: string
  readonly key: string
  readonly cached: boolean
  readonly seconds: number
  /** Why it ran (empty when cached). */
  readonly reasons: ReadonlyArray<string>
}

/** How the cache is used for one stage. */
export type CacheMode = "use" | "force" | "require"

/** An upstream output needed by `pipeline stage` is not in the cache. */
export class UpstreamMissing extends Schema.TaggedError<UpstreamMissing>()("UpstreamMissing", {
  stage: Schema.String,
  reasons: Schema.Array(Schema.String),
  fix: Schema.String
}) {
  override get message(): string {
    return `the ${this.stage} stage's output is not in the cache (${this.reasons.join("; ")}).`
  }
}

const ms = (seconds: number): string => (seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(1)} s`)

/**
 * Satisfy a stage from the cache when its key (hashed before it runs from its name, version,
 * config slice and upstream output hashes) is stored, else run it and store the output.
 * `require` fails instead of running (upstream of `pipeline stage`).
 */
export const runStage = <In, Out, E, R, DE, DR>(
  stage: Stage<In, Out, E, R, DE, DR>,
  input: In,
  upstream: Readonly<Record<string, string>>,
  mode: CacheMode,
  buildHint = ""
) =>
  Effect.gen(function*() {
    const cache = yield* StageCache
    const progress = yield* Progress
    const parts = { stage: stage.name, version: stage.version, config: stage.reads(input), upstream }
    const key = cache.keyOf(parts)
    const started = performance.now()
    const elapsed = () => (performance.now() - started) / 1000
    if (mode !== "force") {
      const hit = yield* cache.lookup(stage.name, key)
      if (Option.isSome(hit)) {
        const decoded = yield* Effect.either(stage.decode(hit.value))
        if (Either.isRight(decoded)) {
          const seconds = elapsed()
          yield* progress.note(`✓ ${stage.name.padEnd(12)} cached   ${key.slice(0, 10)}  ${ms(seconds)}`)
          return { output: decoded.right, hash: hit.value.outputHash, key, cached: true, seconds, reasons: [] } satisfies StageRun<Out>
        }
        yield* progress.note(`! ${stage.name}: cached output unreadable (${String(decoded.left)}); rebuilding`)
      }
    }
    const reasons = mode === "force" ? ["forced"] : (yield* cache.explain(stage.name, parts)).reasons
    if (mode === "require") {
      return yield* new UpstreamMissing({ stage: stage.name, reasons, fix: buildHint })
    }
    yield* progress.note(`▶ ${stage.name.padEnd(12)} running  (${reasons.join("; ")})`)
    const output = yield* stage.run(input)
    const encoded = stage.encode(output)
    const entry = yield* cache.store(stage.name, key, parts, encoded.files, encoded.meta)
    const seconds = elapsed()
    yield* progress.note(`✓ ${stage.name.padEnd(12)} done     ${key.slice(0, 10)}  ${ms(seconds)}`)
    return { output, hash: entry.outputHash, key, cached: false, seconds, reasons } satisfies StageRun<Out>
  })

/** The cache mode of `name` for a run with these force settings. */
export const modeFor = (
  name: StageName,
  options: { readonly force: boolean; readonly forceStages: ReadonlyArray<string> }
): CacheMode => (options.force || options.forceStages.includes(name) ? "force" : "use")
