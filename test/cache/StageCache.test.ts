import { FileSystem } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import { keyOf, StageCache, type CacheKeyParts } from "../../src/cache/StageCache.js"
import { deadPid, flipByte, ls, NodeLayer, tempDir, truncateFile } from "../fs/helpers.js"

const prepare: CacheKeyParts = {
  stage: "prepare-data",
  version: 1,
  config: { data: { source: "births", lookback: 30 } },
  upstream: { "load-config": "a".repeat(64) }
}
const train = (epochs: number, upstreamHash: string, version = 1): CacheKeyParts => ({
  stage: "train",
  version,
  config: { train: { epochs, lr: 0.001 }, model: { units: [32] } },
  upstream: { "prepare-data": upstreamHash }
})
const dataset = [
  { name: "train.bin", data: new Uint8Array(4096).map((_, i) => i % 256) },
  { name: "scaler.json", data: "{\"mean\":1,\"std\":2}" }
]

/** A cache under a fresh temp dir, as the pipeline builds it. */
const withCache = <A, E>(body: (cache: StageCache["Type"], root: string) => Effect.Effect<A, E, FileSystem.FileSystem>) =>
  Effect.gen(function*() {
    const root = `${yield* tempDir}/.cache`
    const cache = yield* Effect.provide(StageCache, StageCache.layer(root))
    return yield* body(cache, root)
  }).pipe(Effect.provide(NodeLayer))

describe("keyOf", () => {
  it("is the same for the same inputs in any key order and differs when any part changes", () => {
    const reordered: CacheKeyParts = {
      upstream: { "load-config": "a".repeat(64) },
      config: { data: { lookback: 30, source: "births" } },
      version: 1,
      stage: "prepare-data"
    }
    expect(keyOf(reordered)).toBe(keyOf(prepare))
    expect(keyOf(prepare)).toMatch(/^[0-9a-f]{64}$/)
    expect(keyOf({ ...prepare, version: 2 })).not.toBe(keyOf(prepare))
    expect(keyOf({ ...prepare, config: { data: { source: "births", lookback: 31 } } })).not.toBe(keyOf(prepare))
    expect(keyOf({ ...prepare, upstream: { "load-config": "b".repeat(64) } })).not.toBe(keyOf(prepare))
  })
})

describe("StageCache", () => {
  it.scoped("misses, stores, then hits with the same files and output hash", () =>
    withCache((cache) =>
      Effect.gen(function*() {
        const key = cache.keyOf(prepare)
        expect(Option.isNone(yield* cache.lookup("prepare-data", key))).toBe(true)
        const stored = yield* cache.store("prepare-data", key, prepare, dataset, { rows: 4096 })
        const hit = yield* cache.lookup("prepare-data", key)
        if (Option.isNone(hit)) return expect.fail("expected a hit")
        expect(hit.value.outputHash).toBe(stored.outputHash)
        expect(hit.value.meta).toEqual({ rows: 4096 })
        expect(hit.value.names).toEqual(["scaler.json", "train.bin"])
        expect(new Uint8Array(yield* hit.value.files("train.bin"))).toEqual(dataset[0]!.data)
        const other = train(10, stored.outputHash)
        expect(Option.isNone(yield* cache.lookup("train", cache.keyOf(other)))).toBe(true)
      })))

  it.scoped("output hash follows the content, not the key", () =>
    withCache((cache) =>
      Effect.gen(function*() {
        const a = yield* cache.store("prepare-data", cache.keyOf(prepare), prepare, dataset)
        const moved = { ...prepare, version: 2 }
        const b = yield* cache.store("prepare-data", cache.keyOf(moved), moved, dataset)
        const changed = { ...prepare, version: 3 }
        const c = yield* cache.store("prepare-data", cache.keyOf(changed), changed, [dataset[0]!, { name: "scaler.json", data: "{}" }])
        expect(b.outputHash).toBe(a.outputHash)
        expect(c.outputHash).not.toBe(a.outputHash)
      })))

  it.scoped("ignores and removes a torn entry, then rebuilds it", () =>
    withCache((cache, root) =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const key = cache.keyOf(prepare)
        const entry = yield* cache.store("prepare-data", key, prepare, dataset)
        yield* fs.remove(`${entry.dir}/DONE`)
        const status = yield* cache.check("prepare-data", key)
        expect(status).toEqual({ _tag: "Torn", dir: entry.dir, reason: "missing DONE marker" })
        expect(Option.isNone(yield* cache.lookup("prepare-data", key))).toBe(true)
        expect(yield* ls(`${root}/prepare-data`)).toEqual(["last.json"])
        yield* cache.store("prepare-data", key, prepare, dataset)
        expect(Option.isSome(yield* cache.lookup("prepare-data", key))).toBe(true)
      })))

  it.scoped("never loads a truncated entry", () =>
    withCache((cache) =>
      Effect.gen(function*() {
        const key = cache.keyOf(prepare)
        const entry = yield* cache.store("prepare-data", key, prepare, dataset)
        yield* truncateFile(`${entry.dir}/train.bin`, 100)
        const status = yield* cache.check("prepare-data", key)
        expect(status._tag === "Torn" && status.reason).toBe("train.bin: size 100 ≠ 4096 (truncated)")
        expect(Option.isNone(yield* cache.lookup("prepare-data", key))).toBe(true)
      })))

  it.scoped("a file damaged after lookup fails to load instead of returning bad bytes", () =>
    withCache((cache) =>
      Effect.gen(function*() {
        const key = cache.keyOf(prepare)
        yield* cache.store("prepare-data", key, prepare, dataset)
        const hit = yield* cache.lookup("prepare-data", key)
        if (Option.isNone(hit)) return expect.fail("expected a hit")
        yield* flipByte(`${hit.value.dir}/train.bin`, 9)
        const error = yield* Effect.flip(hit.value.files("train.bin"))
        expect(error._tag).toBe("CacheCorrupt")
        expect(error.reason).toBe("train.bin: sha256 mismatch (corrupted)")
      })))

  it.scoped("explains why a stage is stale", () =>
    withCache((cache) =>
      Effect.gen(function*() {
        const upstream = "c".repeat(64)
        expect(yield* cache.explain("train", train(10, upstream))).toEqual({ stale: true, reasons: ["never built"] })
        yield* cache.store("train", cache.keyOf(train(10, upstream)), train(10, upstream), [{ name: "w.bin", data: "w" }])
        expect(yield* cache.explain("train", train(10, upstream))).toEqual({ stale: false, reasons: [] })
        expect((yield* cache.explain("train", train(20, upstream))).reasons).toEqual(["train.epochs: 10 → 20"])
        expect((yield* cache.explain("train", train(10, "d".repeat(64)))).reasons).toEqual(["upstream prepare-data changed"])
        expect((yield* cache.explain("train", train(20, "d".repeat(64), 2))).reasons).toEqual([
          "stage version 1 → 2",
          "train.epochs: 10 → 20",
          "upstream prepare-data changed"
        ])
      })))

  it.scoped("explains a removed or damaged output", () =>
    withCache((cache) =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const parts = train(10, "c".repeat(64))
        const entry = yield* cache.store("train", cache.keyOf(parts), parts, [{ name: "w.bin", data: "weights" }])
        yield* truncateFile(`${entry.dir}/w.bin`, 3)
        expect((yield* cache.explain("train", parts)).reasons).toEqual(["cached output is damaged: w.bin: size 3 ≠ 7 (truncated)"])
        yield* fs.remove(entry.dir, { recursive: true })
        expect((yield* cache.explain("train", parts)).reasons).toEqual(["cached output was removed"])
      })))

  it.scoped("concurrent stores of the same key both succeed and leave one intact entry", () =>
    withCache((cache, root) =>
      Effect.gen(function*() {
        const key = cache.keyOf(prepare)
        const [a, b, c] = yield* Effect.all(
          [1, 2, 3].map(() => cache.store("prepare-data", key, prepare, dataset)),
          { concurrency: "unbounded" }
        )
        expect(b!.outputHash).toBe(a!.outputHash)
        expect(c!.outputHash).toBe(a!.outputHash)
        expect(yield* ls(`${root}/prepare-data`)).toEqual([key, "last.json"].sort())
        expect(yield* ls(`${root}/prepare-data/${key}`)).toEqual(["DONE", "MANIFEST.json", "scaler.json", "train.bin"])
      })))

  it.scoped("clears temp directories that crashed stores left behind", () =>
    withCache((cache, root) =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const key = cache.keyOf(prepare)
        const crashed = `${root}/prepare-data/.${key}.tmp-${deadPid()}-0a1b2c`
        yield* fs.makeDirectory(crashed, { recursive: true })
        yield* fs.writeFileString(`${crashed}/train.bin`, "half")
        yield* cache.store("prepare-data", key, prepare, dataset)
        expect(yield* ls(`${root}/prepare-data`)).toEqual([key, "last.json"].sort())
      })))

  it.scoped("treats a key that is not keyOf(parts) as a bug", () =>
    withCache((cache) =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(cache.store("prepare-data", "f".repeat(64), prepare, dataset))
        expect(Exit.isFailure(exit) && exit.cause._tag === "Die").toBe(true)
      })))
})

describe("StageCache forced stores", () => {
  it.scoped("keep the first intact entry by default, and replace it when the stage was forced", () =>
    withCache((cache) =>
      Effect.gen(function*() {
        const key = keyOf(prepare)
        const first = yield* cache.store("prepare-data", key, prepare, dataset)
        const other = [{ name: "train.bin", data: new Uint8Array(16) }]
        const kept = yield* cache.store("prepare-data", key, prepare, other)
        expect(kept.outputHash).toBe(first.outputHash)
        const replaced = yield* cache.store("prepare-data", key, prepare, other, undefined, true)
        expect(replaced.outputHash).not.toBe(first.outputHash)
        const hit = yield* cache.lookup("prepare-data", key)
        expect(Option.map(hit, (e) => e.outputHash)).toEqual(Option.some(replaced.outputHash))
      })
    ))
})

