import { FileSystem, Path } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Either, Schema } from "effect"
import { DirInvalid, errnoOf } from "./errors.js"
import { sha256File, sha256Hex } from "./hash.js"
import { DONE_FILE, Manifest, MANIFEST_FILE, type ManifestEntry } from "./manifest.js"

/** A directory whose DONE marker, manifest and files all agree. */
export interface VerifiedDir {
  readonly dir: string
  readonly manifest: Manifest
  /** sha256 of MANIFEST.json, as recorded in DONE. */
  readonly manifestSha256: string
}

const unreadable = (dir: string, file: string, error: PlatformError): DirInvalid =>
  new DirInvalid({ path: dir, problem: "unreadable", reason: `${file}: cannot read (${errnoOf(error) ?? error.message})` })

/** Reason text for a file whose bytes do not match its manifest entry. */
const mismatch = (dir: string, name: string, expected: ManifestEntry, actual: { size: number; sha256: string }) => {
  if (actual.size !== expected.size) {
    const why = actual.size < expected.size ? "truncated" : "extra bytes"
    return new DirInvalid({
      path: dir,
      problem: "size-mismatch",
      reason: `${name}: size ${actual.size} ≠ ${expected.size} (${why})`
    })
  }
  if (actual.sha256 !== expected.sha256) {
    return new DirInvalid({ path: dir, problem: "hash-mismatch", reason: `${name}: sha256 mismatch (corrupted)` })
  }
  return undefined
}

/** Reads and checks DONE and MANIFEST.json; the files themselves are not read. */
export const readManifest: (dir: string) => Effect.Effect<Either.Either<VerifiedDir, DirInvalid>, never, FileSystem.FileSystem | Path.Path> = Effect.fn("fs.readManifest")(function*(dir: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const fail = (problem: DirInvalid["problem"], reason: string) =>
    Either.left(new DirInvalid({ path: dir, problem, reason }))

  const stat = yield* Effect.either(fs.stat(dir))
  if (Either.isLeft(stat)) {
    return errnoOf(stat.left) === "ENOENT" ? fail("missing-dir", "directory missing") : Either.left(unreadable(dir, ".", stat.left))
  }
  if (stat.right.type !== "Directory") return fail("missing-dir", "not a directory")

  const done = yield* Effect.either(fs.readFileString(path.join(dir, DONE_FILE)))
  if (Either.isLeft(done)) {
    return errnoOf(done.left) === "ENOENT"
      ? fail("missing-done", "missing DONE marker")
      : Either.left(unreadable(dir, DONE_FILE, done.left))
  }
  const manifestBytes = yield* Effect.either(fs.readFile(path.join(dir, MANIFEST_FILE)))
  if (Either.isLeft(manifestBytes)) {
    return errnoOf(manifestBytes.left) === "ENOENT"
      ? fail("missing-manifest", `${MANIFEST_FILE} missing`)
      : Either.left(unreadable(dir, MANIFEST_FILE, manifestBytes.left))
  }
  const manifestSha256 = sha256Hex(manifestBytes.right)
  if (done.right.trim() !== manifestSha256) {
    return fail("hash-mismatch", `${MANIFEST_FILE}: sha256 does not match ${DONE_FILE} (corrupted)`)
  }
  const decoded = Schema.decodeUnknownEither(Schema.parseJson(Manifest))(new TextDecoder().decode(manifestBytes.right))
  if (Either.isLeft(decoded)) return fail("bad-manifest", `${MANIFEST_FILE}: not a valid manifest`)
  return Either.right<VerifiedDir>({ dir, manifest: decoded.right, manifestSha256 })
})

/**
 * Checks a directory written by `writeDirAtomic`: DONE present, the manifest's hash equals DONE,
 * and every listed file has its recorded size and sha256. Never fails; a bad directory is a Left.
 */
export const verifyDir: (dir: string) => Effect.Effect<Either.Either<VerifiedDir, DirInvalid>, never, FileSystem.FileSystem | Path.Path> = Effect.fn("fs.verifyDir")(function*(dir: string) {
  const path = yield* Path.Path
  const head = yield* readManifest(dir)
  if (Either.isLeft(head)) return head
  for (const [name, expected] of Object.entries(head.right.manifest.files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const actual = yield* Effect.either(sha256File(path.join(dir, name)))
    if (Either.isLeft(actual)) {
      return Either.left(
        errnoOf(actual.left) === "ENOENT"
          ? new DirInvalid({ path: dir, problem: "missing-file", reason: `${name}: missing` })
          : unreadable(dir, name, actual.left)
      )
    }
    const bad = mismatch(dir, name, expected, actual.right)
    if (bad !== undefined) return Either.left(bad)
  }
  return head
})

/** Reads one listed file of a verified directory and checks its bytes against the manifest. */
export const readVerifiedFile: (verified: VerifiedDir, name: string) => Effect.Effect<Uint8Array, DirInvalid, FileSystem.FileSystem | Path.Path> = Effect.fn("fs.readVerifiedFile")(function*(verified: VerifiedDir, name: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const expected = verified.manifest.files[name]
  if (expected === undefined) {
    return yield* new DirInvalid({ path: verified.dir, problem: "missing-file", reason: `${name}: not in ${MANIFEST_FILE}` })
  }
  const bytes = yield* fs.readFile(path.join(verified.dir, name)).pipe(
    Effect.mapError((error) =>
      errnoOf(error) === "ENOENT"
        ? new DirInvalid({ path: verified.dir, problem: "missing-file", reason: `${name}: missing` })
        : unreadable(verified.dir, name, error)
    )
  )
  const bad = mismatch(verified.dir, name, expected, { size: bytes.byteLength, sha256: sha256Hex(bytes) })
  if (bad !== undefined) return yield* bad
  return bytes
})
