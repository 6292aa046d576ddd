import { FileSystem } from "@effect/platform"
import { Effect } from "effect"
import { ReportError } from "./ReportError.js"

/** Write a file so that readers see the old content or the new, never a torn one (temp + rename). */
export const writeAtomic = (
  file: string,
  data: Uint8Array | string
): Effect.Effect<void, ReportError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const temp = `${file}.tmp-${process.pid}-${Date.now()}`
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data
    yield* fs.writeFile(temp, bytes)
    yield* fs.rename(temp, file)
  }).pipe(Effect.mapError((e) => new ReportError({ path: file, reason: e.message })))
