import { Effect, Either, Option } from "effect"
import { StageCache, UpstreamMissing } from "../cache/StageCache.js"
import { Progress } from "../progress/Progress.js"
import type { AnyStage, OutputOf, RunConfig } from "./Stage.js"

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

/** How the cache is used for one stage: look it up, ignore it, or insist on it (upstream of `pipeline stage`). */
export type CacheMode = "use" | "force" | "require"

/** The stages satisfied so far, by name. */
export type StageRuns = ReadonlyMap<string, StageRun<unknown>>

/** A satisfied stage's output, typed by its stage: the map holds each stage's own output under its name. */
export const outputOf = <S extends AnyStage>(runs: StageRuns, stage: S): OutputOf<S> | undefined =>
  runs.get(stage.name)?.output as OutputOf<S> | undefined

const ms = (seconds: number): string => (seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(1)} s`)

/** The output hashes of the stages `stage` needs, by name; undefined when one of them is not known. */
export const upstreamHashes = (stage: AnyStage, hashes: ReadonlyMap<string, string>): Record<string, string> | undefined => {
  const out: Record<string, string> = {}
  for (const need of Object.values(stage.needs)) {
    const hash = hashes.get(need.name)
    if (hash === undefined) return undefined
    out[need.name] = hash
  }
  return out
}

/** What keys a stage in the cache: its name, version, the config it reads and its upstream output hashes. */
export const keyParts = (stage: AnyStage, config: RunConfig, upstream: Readonly<Record<string, string>>) =>
  Effect.map(stage.reads(config), (slice) => ({ stage: stage.name, version: stage.version, config: slice, upstream }))

/**
 * Satisfy a stage from the cache when its key (hashed before it runs) is stored, else run it on its
 * upstream outputs and store the output; then let it publish into the run. `require` fails instead
 * of running (upstream of `pipeline stage`), naming the command that builds the missing output.
 */
export const runStage = Effect.fn("Stage.run")(function*(stage: AnyStage, runs: StageRuns, config: RunConfig, mode: CacheMode, buildHint: string) {
  const cache = yield* StageCache
  const progress = yield* Progress
  const input: Record<string, unknown> = {}
  for (const [as, need] of Object.entries(stage.needs)) {
    const run = runs.get(need.name)
    if (run === undefined) return yield* Effect.dieMessage(`stage ${stage.name} is listed before ${need.name}, which it needs`)
    input[as] = run.output
  }
  const upstream = upstreamHashes(stage, new Map([...runs].map(([name, run]) => [name, run.hash]))) ?? {}
  const parts = yield* keyParts(stage, config, upstream)
  const key = cache.keyOf(parts)
  const started = performance.now()
  const elapsed = () => (performance.now() - started) / 1000
  const finish = (run: StageRun<unknown>) => Effect.as(stage.publish?.(run.output, run.cached, input, config) ?? Effect.void, run)
  if (mode !== "force") {
    const hit = yield* cache.lookup(stage.name, key)
    if (Option.isSome(hit)) {
      const decoded = yield* Effect.either(stage.decode(hit.value))
      if (Either.isRight(decoded)) {
        const seconds = elapsed()
        yield* progress.note(`✓ ${stage.name.padEnd(12)} cached   ${key.slice(0, 10)}  ${ms(seconds)}`)
        return yield* finish({ output: decoded.right, hash: hit.value.outputHash, key, cached: true, seconds, reasons: [] })
      }
      yield* progress.note(`! ${stage.name}: cached output unreadable (${String(decoded.left)}); rebuilding`)
    }
  }
  const reasons = mode === "force" ? ["forced"] : (yield* cache.explain(stage.name, parts)).reasons
  if (mode === "require") return yield* new UpstreamMissing({ stage: stage.name, reasons, fix: buildHint })
  yield* progress.note(`▶ ${stage.name.padEnd(12)} running  (${reasons.join("; ")})`)
  const output = yield* stage.run(input, config)
  const encoded = stage.encode(output)
  const entry = yield* cache.store(stage.name, key, parts, encoded.files, encoded.meta, mode === "force")
  const seconds = elapsed()
  yield* progress.note(`✓ ${stage.name.padEnd(12)} done     ${key.slice(0, 10)}  ${ms(seconds)}`)
  return yield* finish({ output, hash: entry.outputHash, key, cached: false, seconds, reasons })
})
