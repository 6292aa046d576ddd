import { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Stream } from "effect"
import { createHash } from "node:crypto"

/** Hex sha256 of bytes or of a string's UTF-8 encoding. */
export const sha256Hex = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex")

/** Hex sha256 and size of a file, streamed so large files are not held in memory. */
export const sha256File: (
  path: string
) => Effect.Effect<{ readonly sha256: string; readonly size: number }, PlatformError, FileSystem.FileSystem> = Effect.fn("fs.sha256File")(function*(path: string) {
  const fs = yield* FileSystem.FileSystem
  const hash = createHash("sha256")
  let size = 0
  yield* Stream.runForEach(fs.stream(path), (chunk) =>
    Effect.sync(() => {
      size += chunk.byteLength
      hash.update(chunk)
    }))
  return { sha256: hash.digest("hex"), size }
})

/** UTF-8 bytes of a string; bytes pass through. */
export const toBytes = (data: Uint8Array | string): Uint8Array =>
  typeof data === "string" ? new TextEncoder().encode(data) : data
