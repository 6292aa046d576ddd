import { FileSystem, Path } from "@effect/platform"
import { SystemError } from "@effect/platform/Error"
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { spawnSync } from "node:child_process"

/** Real node file system and path. */
export const NodeLayer = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)

/** A fresh temp directory removed when the test's scope closes. */
export const tempDir = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "lstm-fs-test-" }))

/** A platform error carrying an errno code, as platform-node produces them. */
export const errno = (code: string, method: string, path: string) =>
  new SystemError({
    reason: code === "EACCES" ? "PermissionDenied" : "Unknown",
    module: "FileSystem",
    method,
    pathOrDescriptor: path,
    description: `${code}: simulated`,
    cause: Object.assign(new Error(`${code}: simulated`), { code })
  })

/**
 * The real file system, except that writing a file whose path matches `failOn` writes only half
 * of the bytes (a real partial file) and then fails with `code`, like a disk filling up.
 */
export const diskFullLayer = (failOn: (path: string) => boolean, code = "ENOSPC") =>
  Layer.merge(
    Layer.effect(
      FileSystem.FileSystem,
      Effect.map(FileSystem.FileSystem, (fs) =>
        FileSystem.FileSystem.of({
          ...fs,
          writeFile: (path, data, options) =>
            failOn(path)
              ? Effect.zipRight(fs.writeFile(path, data.subarray(0, data.byteLength >> 1), options), Effect.fail(errno(code, "writeFile", path)))
              : fs.writeFile(path, data, options)
        }))
    ).pipe(Layer.provide(NodeFileSystem.layer)),
    NodePath.layer
  )

/** The real file system, except that creating directories fails with `code` (unwritable parent). */
export const noMkdirLayer = (code = "EACCES") =>
  Layer.merge(
    Layer.effect(
      FileSystem.FileSystem,
      Effect.map(FileSystem.FileSystem, (fs) =>
        FileSystem.FileSystem.of({
          ...fs,
          makeDirectory: (path, options) =>
            options?.recursive === true ? fs.makeDirectory(path, options) : Effect.fail(errno(code, "makeDirectory", path))
        }))
    ).pipe(Layer.provide(NodeFileSystem.layer)),
    NodePath.layer
  )

/** The pid of a process that has already exited. */
export const deadPid = (): number => {
  const child = spawnSync(process.execPath, ["-e", ""])
  if (child.pid === undefined) throw new Error("could not spawn a child process")
  return child.pid
}

/** Entries of a directory, sorted. */
export const ls = (dir: string) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readDirectory(dir)).pipe(Effect.map((names) => names.sort()))

/** Cuts a file to `size` bytes, like a crash mid-write. */
export const truncateFile = (path: string, size: number) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.truncate(path, size))

/** Flips one bit of one byte of a file in place. */
export const flipByte = (path: string, at: number) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const bytes = yield* fs.readFile(path)
    const copy = new Uint8Array(bytes)
    copy[at] = copy[at]! ^ 0x01
    yield* fs.writeFile(path, copy)
  })

/** Joins paths with the platform's Path. */
export const join = (...parts: ReadonlyArray<string>) => Effect.map(Path.Path, (path) => path.join(...parts))
