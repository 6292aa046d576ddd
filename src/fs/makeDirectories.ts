import { FileSystem, Path } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Effect } from "effect"

/**
 * `mkdir -p` one level at a time. Node's own recursive mkdir never returns when the kernel answers
 * ENOENT for a parent that exists (e.g. anything under /proc); here each level is made once and
 * its error, whatever it is, comes back at once.
 */
export const makeDirectories = Effect.fn("fs.makeDirectories")(function*(dir: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const missing: Array<string> = []
  let current = path.resolve(dir)
  while (!(yield* fs.exists(current).pipe(Effect.orElseSucceed(() => false)))) {
    missing.unshift(current)
    const parent = path.dirname(current)
    if (parent === current) break
    current = parent
  }
  for (const level of missing) {
    yield* fs.makeDirectory(level).pipe(
      Effect.catchIf(
        (error: PlatformError) => error._tag === "SystemError" && error.reason === "AlreadyExists",
        () => Effect.void
      )
    )
  }
})
