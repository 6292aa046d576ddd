import { FileSystem } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { writeDirAtomic } from "../../src/fs/atomic.js"
import { readVerifiedFile, verifyDir } from "../../src/fs/verify.js"
import { flipByte, NodeLayer, tempDir, truncateFile } from "./helpers.js"

const files = [
  { name: "weights.bin", data: new Uint8Array(4800).map((_, i) => i % 256) },
  { name: "optimizer.bin", data: new Uint8Array(960).fill(3) },
  { name: "state.json", data: "{\"epoch\":5}" }
]

/** Writes a checkpoint-like directory, damages it, and returns verifyDir's reason. */
const reasonAfter = (damage: (dir: string) => Effect.Effect<void, unknown, FileSystem.FileSystem>) =>
  Effect.gen(function*() {
    const dir = `${yield* tempDir}/ckpt`
    yield* writeDirAtomic(dir, files)
    yield* Effect.orDie(damage(dir))
    const verdict = yield* verifyDir(dir)
    return Either.match(verdict, { onLeft: (e) => `${e.problem}|${e.reason}`, onRight: () => "intact" })
  })

describe("verifyDir", () => {
  it.scoped("accepts an untouched directory", () =>
    Effect.gen(function*() {
      expect(yield* reasonAfter(() => Effect.void)).toBe("intact")
    }).pipe(Effect.provide(NodeLayer)))

  it.scoped("catches truncation with sizes", () =>
    Effect.gen(function*() {
      expect(yield* reasonAfter((dir) => truncateFile(`${dir}/weights.bin`, 1200)))
        .toBe("size-mismatch|weights.bin: size 1200 ≠ 4800 (truncated)")
    }).pipe(Effect.provide(NodeLayer)))

  it.scoped("catches a single flipped bit", () =>
    Effect.gen(function*() {
      expect(yield* reasonAfter((dir) => flipByte(`${dir}/optimizer.bin`, 517)))
        .toBe("hash-mismatch|optimizer.bin: sha256 mismatch (corrupted)")
    }).pipe(Effect.provide(NodeLayer)))

  it.scoped("catches a missing DONE marker", () =>
    Effect.gen(function*() {
      expect(yield* reasonAfter((dir) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.remove(`${dir}/DONE`))))
        .toBe("missing-done|missing DONE marker")
    }).pipe(Effect.provide(NodeLayer)))

  it.scoped("catches a missing manifest", () =>
    Effect.gen(function*() {
      expect(yield* reasonAfter((dir) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.remove(`${dir}/MANIFEST.json`))))
        .toBe("missing-manifest|MANIFEST.json missing")
    }).pipe(Effect.provide(NodeLayer)))

  it.scoped("catches an edited manifest (no longer matching DONE)", () =>
    Effect.gen(function*() {
      const reason = yield* reasonAfter((dir) =>
        Effect.flatMap(FileSystem.FileSystem, (fs) =>
          Effect.flatMap(fs.readFileString(`${dir}/MANIFEST.json`), (text) =>
            fs.writeFileString(`${dir}/MANIFEST.json`, text.replace("4800", "1200")))))
      expect(reason).toBe("hash-mismatch|MANIFEST.json: sha256 does not match DONE (corrupted)")
    }).pipe(Effect.provide(NodeLayer)))

  it.scoped("catches a missing file, extra bytes and a missing directory", () =>
    Effect.gen(function*() {
      expect(yield* reasonAfter((dir) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.remove(`${dir}/state.json`))))
        .toBe("missing-file|state.json: missing")
      expect(yield* reasonAfter((dir) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.writeFileString(`${dir}/state.json`, "{\"epoch\":5}\n"))))
        .toBe("size-mismatch|state.json: size 12 ≠ 11 (extra bytes)")
      expect(yield* reasonAfter((dir) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.remove(dir, { recursive: true }))))
        .toBe("missing-dir|directory missing")
    }).pipe(Effect.provide(NodeLayer)))
})

describe("readVerifiedFile", () => {
  it.scoped("returns the bytes, and refuses bytes changed after verification", () =>
    Effect.gen(function*() {
      const dir = `${yield* tempDir}/ckpt`
      yield* writeDirAtomic(dir, files)
      const verdict = yield* verifyDir(dir)
      if (Either.isLeft(verdict)) return expect.fail(verdict.left.reason)
      expect(new Uint8Array(yield* readVerifiedFile(verdict.right, "weights.bin"))).toEqual(files[0]!.data)
      yield* flipByte(`${dir}/weights.bin`, 0)
      const error = yield* Effect.flip(readVerifiedFile(verdict.right, "weights.bin"))
      expect(error.reason).toBe("weights.bin: sha256 mismatch (corrupted)")
      const unknown = yield* Effect.flip(readVerifiedFile(verdict.right, "other.bin"))
      expect(unknown.reason).toBe("other.bin: not in MANIFEST.json")
    }).pipe(Effect.provide(NodeLayer)))
})
