import { FileSystem, Path } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Clock, Effect, Either } from "effect"
import { randomBytes } from "node:crypto"
import { AtomicWriteError, errnoOf, writeErrorFrom } from "./errors.js"
import { sha256Hex, toBytes } from "./hash.js"
import { DONE_FILE, isValidFileName, type Manifest, MANIFEST_FILE } from "./manifest.js"
import { verifyDir } from "./verify.js"

/** One file of a directory written by `writeDirAtomic`. */
export interface DirFile {
  readonly name: string
  readonly data: Uint8Array | string
}

/** Options of `writeDirAtomic`. */
export interface WriteDirOptions {
  /** Stored in MANIFEST.json under `meta`. */
  readonly meta?: unknown
  /**
   * What to do when `finalDir` already exists. "replace" (default) swaps the new directory in and
   * removes the old one afterwards; "keepIntact" keeps an existing directory that verifies and
   * discards ours (content-addressed outputs: whoever finished first wins).
   */
  readonly ifExists?: "replace" | "keepIntact"
}

/** Where a directory ended up and what its manifest says. */
export interface WrittenDir {
  readonly dir: string
  readonly manifest: Manifest
  readonly manifestSha256: string
  /** True when an intact directory was already there and was kept instead of ours. */
  readonly keptExisting: boolean
}

/** Temp and set-aside names start with `.<base>.`, carry the pid, and are unique per call. */
const uniqueSuffix = (): string => `${process.pid}-${randomBytes(6).toString("hex")}`
const tempName = (base: string): string => `.${base}.tmp-${uniqueSuffix()}`
const asideName = (base: string): string => `.${base}.old-${uniqueSuffix()}`
const trashName = (base: string): string => `.${base}.trash-${uniqueSuffix()}`
const LEFTOVER = /^\.(.+)\.(tmp|old|trash)-(\d+)-[0-9a-f]+$/

const isAlive = (pid: number): boolean => {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return typeof error === "object" && error !== null && "code" in error && error.code === "EPERM"
  }
}

/** fsync of a file or directory; a directory fsync the file system does not support is skipped. */
const fsyncPath = (path: string, isDir: boolean) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    yield* Effect.scoped(Effect.flatMap(fs.open(path, { flag: "r" }), (file) => file.sync))
  }).pipe(
    Effect.catchIf(
      (error) => isDir && ["EINVAL", "EISDIR", "EPERM", "ENOTSUP", "EBADF"].includes(errnoOf(error) ?? ""),
      () => Effect.void
    )
  )

/** Best-effort removal of what a failed write left behind; never masks the original error. */
const removeQuietly = (path: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.remove(path, { recursive: true })).pipe(Effect.ignore)

const wrap = <A, R>(target: string, effect: Effect.Effect<A, PlatformError, R>) =>
  Effect.mapError(effect, (error) => writeErrorFrom(target, error))

/** Writes bytes to a new file and fsyncs it. */
const writeDurable = (path: string, data: Uint8Array) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    yield* fs.writeFile(path, data, { flag: "wx" })
    yield* fsyncPath(path, false)
  })

/**
 * Replaces `path` with `data` so that a reader sees either the old or the new content, never a
 * mix: unique temp file in the same directory, fsync, rename over `path`, fsync the directory.
 * On failure (disk full, read-only, permission) the temp file is removed and `path` is untouched.
 */
export const writeFileAtomic: (path: string, data: Uint8Array | string) => Effect.Effect<void, AtomicWriteError, FileSystem.FileSystem | Path.Path> = Effect.fn("fs.writeFileAtomic")(function*(path: string, data: Uint8Array | string) {
  const fs = yield* FileSystem.FileSystem
  const pathSvc = yield* Path.Path
  const dir = pathSvc.dirname(path)
  const temp = pathSvc.join(dir, tempName(pathSvc.basename(path)))
  yield* wrap(path, fs.makeDirectory(dir, { recursive: true }))
  yield* wrap(
    path,
    Effect.gen(function*() {
      yield* writeDurable(temp, toBytes(data))
      yield* Effect.uninterruptible(Effect.zipRight(fs.rename(temp, path), fsyncPath(dir, true)))
    })
  ).pipe(Effect.onError(() => removeQuietly(temp)))
})

const isOccupied = (error: PlatformError): boolean => {
  const code = errnoOf(error)
  return code === "ENOTEMPTY" || code === "EEXIST"
}

/** Moves the finished temp directory to `finalDir`, setting an existing one aside until ours is in place. */
const install = (temp: string, finalDir: string, ifExists: "replace" | "keepIntact") =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const parent = path.dirname(finalDir)
    for (let attempt = 0; attempt < 8; attempt++) {
      const moved = yield* Effect.either(fs.rename(temp, finalDir))
      if (Either.isRight(moved)) {
        yield* fsyncPath(parent, true)
        return { keptExisting: false }
      }
      if (!isOccupied(moved.left)) return yield* Effect.fail(moved.left)
      if (ifExists === "keepIntact" && Either.isRight(yield* verifyDir(finalDir))) {
        yield* removeQuietly(temp)
        return { keptExisting: true }
      }
      const aside = path.join(parent, asideName(path.basename(finalDir)))
      const setAside = yield* Effect.either(fs.rename(finalDir, aside))
      // another writer may have moved it first: try again from the top
      if (Either.isLeft(setAside)) {
        if (errnoOf(setAside.left) === "ENOENT") continue
        return yield* Effect.fail(setAside.left)
      }
      const placed = yield* Effect.either(fs.rename(temp, finalDir))
      if (Either.isLeft(placed)) {
        // put the previous directory back unless a concurrent writer already filled the slot
        yield* fs.rename(aside, finalDir).pipe(Effect.catchAll(() => removeQuietly(aside)))
        if (isOccupied(placed.left)) continue
        return yield* Effect.fail(placed.left)
      }
      yield* fsyncPath(parent, true)
      yield* removeQuietly(aside)
      return { keptExisting: false }
    }
    return yield* new AtomicWriteError({
      path: finalDir,
      reason: "other writers kept replacing it",
      fix: "Make sure only one process writes this directory at a time."
    })
  })

/**
 * Writes a directory so that it appears complete or not at all: every file is written and fsynced
 * in a temp sibling, then MANIFEST.json (size + sha256 per file, plus `meta`), then DONE last
 * (holding the manifest's sha256), and the temp directory is renamed into place. An existing
 * `finalDir` is kept until the new one is in place (see `WriteDirOptions.ifExists`).
 */
export const writeDirAtomic: (
  finalDir: string,
  files: ReadonlyArray<DirFile>,
  options?: WriteDirOptions
) => Effect.Effect<WrittenDir, AtomicWriteError, FileSystem.FileSystem | Path.Path> = Effect.fn("fs.writeDirAtomic")(function*(
  finalDir: string,
  files: ReadonlyArray<DirFile>,
  options: WriteDirOptions = {}
) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const names = files.map((file) => file.name)
  const badName = names.find((name, i) => !isValidFileName(name) || names.indexOf(name) !== i)
  if (badName !== undefined) return yield* Effect.dieMessage(`writeDirAtomic: invalid or duplicate file name "${badName}"`)

  const parent = path.dirname(finalDir)
  const temp = path.join(parent, tempName(path.basename(finalDir)))
  yield* wrap(finalDir, fs.makeDirectory(parent, { recursive: true }))
  const now = yield* Clock.currentTimeMillis

  const written = yield* wrap(
    finalDir,
    Effect.gen(function*() {
      yield* fs.makeDirectory(temp)
      const entries: Record<string, { size: number; sha256: string }> = {}
      for (const file of files) {
        const bytes = toBytes(file.data)
        yield* writeDurable(path.join(temp, file.name), bytes)
        entries[file.name] = { size: bytes.byteLength, sha256: sha256Hex(bytes) }
      }
      const manifest: Manifest = {
        format: "lstm-pipeline/manifest@1",
        createdAt: new Date(now).toISOString(),
        files: entries,
        ...(options.meta === undefined ? {} : { meta: options.meta })
      }
      const manifestBytes = toBytes(JSON.stringify(manifest, null, 2) + "\n")
      const manifestSha256 = sha256Hex(manifestBytes)
      yield* writeDurable(path.join(temp, MANIFEST_FILE), manifestBytes)
      yield* writeDurable(path.join(temp, DONE_FILE), toBytes(manifestSha256 + "\n"))
      yield* fsyncPath(temp, true)
      return { manifest, manifestSha256 }
    })
  ).pipe(Effect.onError(() => removeQuietly(temp)))

  const installed = yield* install(temp, finalDir, options.ifExists ?? "replace").pipe(
    Effect.uninterruptible,
    Effect.onError(() => removeQuietly(temp)),
    Effect.mapError((error) => error._tag === "AtomicWriteError" ? error : writeErrorFrom(finalDir, error))
  )
  if (installed.keptExisting) {
    const existing = yield* verifyDir(finalDir)
    if (Either.isRight(existing)) return { ...existing.right, keptExisting: true } satisfies WrittenDir
  }
  return { dir: finalDir, ...written, keptExisting: false } satisfies WrittenDir
})

/** What `recoverDir` did. */
export interface Recovery {
  /** A set-aside previous version moved back because a crash left `finalDir` missing. */
  readonly restored: string | undefined
  /** Temp and set-aside directories of processes that no longer run, removed. */
  readonly removed: ReadonlyArray<string>
}

/**
 * Repairs what a crash during `writeDirAtomic`/`writeFileAtomic` can leave next to `finalDir`:
 * if `finalDir` is missing but a previous version was set aside, it is moved back; temp and
 * set-aside leftovers of dead processes are removed. Leftovers of live processes are left alone.
 */
export const recoverDir: (finalDir: string) => Effect.Effect<Recovery, AtomicWriteError, FileSystem.FileSystem | Path.Path> = Effect.fn("fs.recoverDir")(function*(finalDir: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const parent = path.dirname(finalDir)
  const base = path.basename(finalDir)
  const listing = yield* Effect.either(fs.readDirectory(parent))
  if (Either.isLeft(listing)) return { restored: undefined, removed: [] } satisfies Recovery
  const mine = listing.right.flatMap((name) => {
    const match = LEFTOVER.exec(name)
    return match !== null && match[1] === base && !isAlive(Number(match[3]))
      ? [{ name, kind: match[2] }]
      : []
  })
  let restored: string | undefined
  if (!(yield* wrap(finalDir, fs.exists(finalDir)))) {
    // the previous version first (what readers had), else a finished new one
    const candidates = [...mine.filter((m) => m.kind === "old"), ...mine.filter((m) => m.kind === "tmp")]
    for (const aside of candidates) {
      const candidate = path.join(parent, aside.name)
      if (Either.isRight(yield* verifyDir(candidate))) {
        yield* wrap(finalDir, fs.rename(candidate, finalDir))
        yield* wrap(finalDir, fsyncPath(parent, true))
        restored = candidate
        break
      }
    }
  }
  const removed: Array<string> = []
  for (const leftover of mine) {
    const leftoverPath = path.join(parent, leftover.name)
    if (leftoverPath === restored) continue
    yield* removeQuietly(leftoverPath)
    removed.push(leftoverPath)
  }
  return { restored, removed } satisfies Recovery
})

/**
 * Runs `recoverDir` for every entry of `dir` that has leftovers of a dead process next to it;
 * returns the recoveries that changed something. A missing `dir` has nothing to recover.
 */
export const recoverLeftovers: (
  dir: string
) => Effect.Effect<ReadonlyArray<Recovery & { readonly dir: string }>, AtomicWriteError, FileSystem.FileSystem | Path.Path> = Effect.fn("fs.recoverLeftovers")(function*(dir: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const names = yield* fs.readDirectory(dir).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => []))
  const bases = new Set(names.flatMap((name) => {
    const match = LEFTOVER.exec(name)
    return match === null || isAlive(Number(match[3])) ? [] : [match[1]!]
  }))
  const done: Array<Recovery & { readonly dir: string }> = []
  for (const base of bases) {
    const recovery = yield* recoverDir(path.join(dir, base))
    if (recovery.restored !== undefined || recovery.removed.length > 0) done.push({ dir: path.join(dir, base), ...recovery })
  }
  return done
})

/**
 * Removes a directory so that it disappears at once: renamed to a hidden trash name first, then
 * deleted (a crash in between leaves only a leftover that `recoverDir` removes, never restores).
 * A missing directory is not an error.
 */
export const removeDirAtomic: (dir: string) => Effect.Effect<void, AtomicWriteError, FileSystem.FileSystem | Path.Path> = Effect.fn("fs.removeDirAtomic")(function*(dir: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const trash = path.join(path.dirname(dir), trashName(path.basename(dir)))
  const moved = yield* Effect.either(fs.rename(dir, trash))
  if (Either.isLeft(moved)) {
    if (errnoOf(moved.left) === "ENOENT") return
    return yield* Effect.fail(writeErrorFrom(dir, moved.left))
  }
  yield* wrap(dir, fs.remove(trash, { recursive: true }))
})

/** True for the name of a temp or set-aside entry written by this module (of any process). */
export const isLeftoverName = (name: string): boolean => LEFTOVER.test(name)
