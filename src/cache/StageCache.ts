import { FileSystem, Path } from "@effect/platform"
import { Context, Effect, Either, Layer, Option, Schema } from "effect"
import { type DirFile, recoverLeftovers, removeDirAtomic, writeDirAtomic, writeFileAtomic } from "../fs/atomic.js"
import type { AtomicWriteError, DirInvalid } from "../fs/errors.js"
import { sha256Hex } from "../fs/hash.js"
import type { Manifest } from "../fs/manifest.js"
import { readVerifiedFile, verifyDir, type VerifiedDir } from "../fs/verify.js"
import { canonicalJson, diffPaths, toPlain } from "./canonical.js"

/** Everything a stage's output depends on; its canonical hash is the cache key. */
export interface CacheKeyParts {
  readonly stage: string
  /** Bumped when the stage's code changes what it produces. */
  readonly version: number
  /** The slice of the config the stage reads, e.g. `{ train: { epochs: 10 } }`. */
  readonly config: unknown
  /** Upstream stage name → that stage's output hash. */
  readonly upstream: Readonly<Record<string, string>>
}

/** A verified cached output. */
export interface CacheEntry {
  readonly dir: string
  readonly stage: string
  readonly key: string
  /** Hash over the output files; downstream stages use it as their upstream hash. */
  readonly outputHash: string
  /** What the stage stored with its output. */
  readonly meta: unknown
  /** Names of the output files. */
  readonly names: ReadonlyArray<string>
  /** Reads one output file, checking it against the manifest again. */
  readonly files: (name: string) => Effect.Effect<Uint8Array, CacheCorrupt>
}

/** What is in the cache for a key. */
export type CacheStatus =
  | { readonly _tag: "Hit"; readonly entry: CacheEntry }
  | { readonly _tag: "Miss" }
  | { readonly _tag: "Torn"; readonly dir: string; readonly reason: string }

/** Whether a stage must run again, and why in words. */
export interface Staleness {
  readonly stale: boolean
  readonly reasons: ReadonlyArray<string>
}

/** A cached output file changed after it was verified. */
export class CacheCorrupt extends Schema.TaggedError<CacheCorrupt>()("CacheCorrupt", {
  path: Schema.String,
  reason: Schema.String,
  fix: Schema.String
}) {
  override get message(): string {
    return `${this.path}: ${this.reason}.`
  }
}

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

/** The content-addressed store of stage outputs under `<output_dir>/.cache`. */
export interface StageCacheService {
  readonly root: string
  readonly keyOf: (parts: CacheKeyParts) => string
  /** Hit, miss or torn, without side effects. */
  readonly check: (stage: string, key: string) => Effect.Effect<CacheStatus>
  /** A verified entry; a torn one is logged, removed and reported as a miss. */
  readonly lookup: (stage: string, key: string) => Effect.Effect<Option.Option<CacheEntry>>
  /** Stores an output atomically; when another process stored the same key first, theirs is kept. */
  readonly store: (
    stage: string,
    key: string,
    parts: CacheKeyParts,
    files: ReadonlyArray<DirFile>,
    meta?: unknown,
    /** Replace an intact entry of the same key (a forced run: what it produced is what downstream keys on). */
    replace?: boolean
  ) => Effect.Effect<CacheEntry, AtomicWriteError>
  /** Why the stage's cached output cannot be used for these inputs (empty when it can). */
  readonly explain: (stage: string, parts: CacheKeyParts) => Effect.Effect<Staleness>
}

/** Cache key: sha256 of the canonical JSON of the parts. */
export const keyOf = (parts: CacheKeyParts): string =>
  sha256Hex(canonicalJson({ stage: parts.stage, version: parts.version, config: parts.config, upstream: parts.upstream }))

/** Output hash: sha256 over the sorted (name, size, sha256) of the output files. */
export const outputHashOf = (files: Manifest["files"]): string =>
  sha256Hex(canonicalJson(Object.entries(files).map(([name, f]) => [name, f.size, f.sha256]).sort()))

const StoredParts = Schema.Struct({
  stage: Schema.String,
  version: Schema.Number,
  config: Schema.Unknown,
  upstream: Schema.Record({ key: Schema.String, value: Schema.String })
})

const EntryMeta = Schema.Struct({
  stage: Schema.String,
  key: Schema.String,
  parts: StoredParts,
  meta: Schema.optional(Schema.Unknown)
})

const LastBuild = Schema.parseJson(Schema.Struct({ key: Schema.String, parts: StoredParts }))

const STAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
const KEY = /^[0-9a-f]{64}$/

/** Builds the cache service over `root`, capturing FileSystem and Path. */
export const make: (root: string) => Effect.Effect<StageCacheService, never, FileSystem.FileSystem | Path.Path> = Effect.fn(
  "StageCache.make"
)(function*(root: string) {
  const context = yield* Effect.context<FileSystem.FileSystem | Path.Path>()
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path

  const stageDir = (stage: string) => {
    if (!STAGE_NAME.test(stage)) throw new Error(`StageCache: invalid stage name "${stage}"`)
    return path.join(root, stage)
  }
  const entryDir = (stage: string, key: string) => {
    if (!KEY.test(key)) throw new Error(`StageCache: invalid key "${key}" (expected a sha256 from keyOf)`)
    return path.join(stageDir(stage), key)
  }

  const toEntry = (stage: string, key: string, verified: VerifiedDir): Either.Either<CacheEntry, string> => {
    const meta = Schema.decodeUnknownEither(EntryMeta)(verified.manifest.meta)
    if (Either.isLeft(meta)) return Either.left("MANIFEST.json: no cache entry metadata")
    if (meta.right.key !== key || meta.right.stage !== stage) {
      return Either.left(`MANIFEST.json: belongs to ${meta.right.stage}/${meta.right.key}`)
    }
    return Either.right({
      dir: verified.dir,
      stage,
      key,
      outputHash: outputHashOf(verified.manifest.files),
      meta: meta.right.meta,
      names: Object.keys(verified.manifest.files).sort(),
      files: (name: string) =>
        readVerifiedFile(verified, name).pipe(
          Effect.mapError((error: DirInvalid) =>
            new CacheCorrupt({
              path: path.join(verified.dir, name),
              reason: error.reason,
              fix: "The cache entry changed while in use; run again to rebuild it."
            })
          ),
          Effect.provide(context)
        )
    })
  }

  const check = (stage: string, key: string): Effect.Effect<CacheStatus> =>
    Effect.gen(function*() {
      const dir = yield* Effect.sync(() => entryDir(stage, key))
      const verdict = yield* verifyDir(dir)
      if (Either.isLeft(verdict)) {
        return verdict.left.problem === "missing-dir"
          ? { _tag: "Miss" as const }
          : { _tag: "Torn" as const, dir, reason: verdict.left.reason }
      }
      const entry = toEntry(stage, key, verdict.right)
      return Either.isRight(entry)
        ? { _tag: "Hit" as const, entry: entry.right }
        : { _tag: "Torn" as const, dir, reason: entry.left }
    }).pipe(Effect.provide(context), Effect.withSpan("StageCache.check"))

  const lookup = (stage: string, key: string): Effect.Effect<Option.Option<CacheEntry>> =>
    Effect.gen(function*() {
      const status = yield* check(stage, key)
      if (status._tag === "Hit") return Option.some(status.entry)
      if (status._tag === "Torn") {
        yield* Effect.logWarning(`cache entry ${stage}/${key.slice(0, 12)} is torn (${status.reason}); rebuilding it`)
        yield* removeDirAtomic(status.dir).pipe(
          Effect.catchAll((error) => Effect.logWarning(`could not remove torn cache entry: ${error.message}`))
        )
      }
      return Option.none()
    }).pipe(Effect.provide(context), Effect.withSpan("StageCache.lookup"))

  const store = (
    stage: string,
    key: string,
    parts: CacheKeyParts,
    files: ReadonlyArray<DirFile>,
    meta?: unknown,
    replace = false
  ): Effect.Effect<CacheEntry, AtomicWriteError> =>
    Effect.gen(function*() {
      if (keyOf(parts) !== key || parts.stage !== stage) {
        return yield* Effect.dieMessage(`StageCache.store: key ${key} is not keyOf(parts) for stage ${stage}`)
      }
      const dir = yield* Effect.sync(() => entryDir(stage, key))
      // temp dirs of crashed runs would otherwise pile up next to the entries
      yield* recoverLeftovers(stageDir(stage)).pipe(Effect.ignore)
      const plainParts = toPlain(parts)
      const written = yield* writeDirAtomic(dir, files, {
        meta: { stage, key, parts: plainParts, ...(meta === undefined ? {} : { meta: toPlain(meta) }) },
        ifExists: replace ? "replace" : "keepIntact"
      })
      yield* writeFileAtomic(path.join(stageDir(stage), "last.json"), JSON.stringify({ key, parts: plainParts }, null, 2) + "\n")
      const entry = toEntry(stage, key, written)
      if (Either.isLeft(entry)) return yield* Effect.dieMessage(`StageCache.store: wrote an unreadable entry (${entry.left})`)
      return entry.right
    }).pipe(Effect.provide(context), Effect.withSpan("StageCache.store"))

  const explain = (stage: string, parts: CacheKeyParts): Effect.Effect<Staleness> =>
    Effect.gen(function*() {
      const key = keyOf(parts)
      const status = yield* check(stage, key)
      if (status._tag === "Hit") return { stale: false, reasons: [] }
      if (status._tag === "Torn") return { stale: true, reasons: [`cached output is damaged: ${status.reason}`] }
      const text = yield* Effect.either(fs.readFileString(path.join(stageDir(stage), "last.json")))
      const last = Either.isRight(text) ? Schema.decodeUnknownOption(LastBuild)(text.right) : Option.none()
      if (Option.isNone(last)) return { stale: true, reasons: ["never built"] }
      if (last.value.key === key) return { stale: true, reasons: ["cached output was removed"] }
      const before = last.value.parts
      const reasons: Array<string> = []
      if (before.version !== parts.version) reasons.push(`stage version ${before.version} → ${parts.version}`)
      reasons.push(...diffPaths(before.config, toPlain(parts.config)))
      const names = [...new Set([...Object.keys(before.upstream), ...Object.keys(parts.upstream)])].sort()
      for (const name of names) {
        const was = before.upstream[name]
        const now = parts.upstream[name]
        if (was === undefined) reasons.push(`upstream ${name} added`)
        else if (now === undefined) reasons.push(`upstream ${name} removed`)
        else if (was !== now) reasons.push(`upstream ${name} changed`)
      }
      return { stale: true, reasons: reasons.length > 0 ? reasons : ["inputs changed"] }
    }).pipe(Effect.provide(context), Effect.withSpan("StageCache.explain"))

  return { root, keyOf, check, lookup, store, explain } satisfies StageCacheService
})

/** The stage cache; provide it with `StageCache.layer(root)`. */
export class StageCache extends Context.Tag("lstm-pipeline/StageCache")<StageCache, StageCacheService>() {
  /** The cache rooted at `root` (normally `<output_dir>/.cache`). */
  static layer = (root: string): Layer.Layer<StageCache, never, FileSystem.FileSystem | Path.Path> =>
    Layer.effect(StageCache, make(root))
}
