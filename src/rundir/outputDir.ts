import { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import { randomBytes } from "node:crypto"
import { errnoOf, writeErrorFrom } from "../fs/errors.js"
import { makeDirectories } from "../fs/makeDirectories.js"
import { RunDirError } from "./RunDirError.js"

/**
 * Fails with a RunDirError (exit 2) unless `outputDir` is, or can be made, a writable directory.
 * Checked before the first stage writes anything, so an unwritable `--output-dir` costs nothing
 * and leaves nothing behind: only an empty probe file is created, and removed at once.
 */
export const ensureWritableOutputDir = Effect.fn("RunDir.ensureWritable")(function*(outputDir: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const dir = path.resolve(outputDir)
  const probe = path.join(dir, `.write-probe-${process.pid}-${randomBytes(4).toString("hex")}`)
  yield* Effect.gen(function*() {
    yield* makeDirectories(dir)
    yield* fs.writeFile(probe, new Uint8Array(0), { flag: "wx" })
    yield* fs.remove(probe)
  }).pipe(
    Effect.mapError((error) => {
      // ENOENT although every parent exists: a virtual file system (/proc, /sys) that refuses new entries
      if (errnoOf(error) === "ENOENT") {
        return new RunDirError({
          path: dir,
          message: `cannot create the output directory ${dir}: its file system does not allow new directories there (ENOENT).`,
          fix: "choose a directory on a normal disk (--output-dir sets it)"
        })
      }
      const written = writeErrorFrom(dir, error)
      return new RunDirError({
        path: dir,
        message: `cannot write to the output directory ${dir}: ${written.reason}.`,
        fix: `${written.fix} (--output-dir sets it)`
      })
    })
  )
})
