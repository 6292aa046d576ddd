import { FileSystem } from "@effect/platform"
import { Effect } from "effect"

/** What is at a path that should hold an input file. */
export type InputPath =
  | { readonly _tag: "File"; readonly size: number }
  | { readonly _tag: "Missing" }
  /** A FIFO, a device, a directory, a socket…: reading it could block forever or never end. */
  | { readonly _tag: "NotAFile"; readonly what: string }
  | { readonly _tag: "Unreadable"; readonly reason: string }

const described: Readonly<Record<FileSystem.File.Type, string>> = {
  File: "a file",
  Directory: "a directory",
  SymbolicLink: "a symbolic link",
  BlockDevice: "a block device",
  CharacterDevice: "a character device (like /dev/zero)",
  FIFO: "a named pipe (FIFO)",
  Socket: "a socket",
  Unknown: "not a regular file"
}

/**
 * Looks at an input path without opening it (following symbolic links), so a FIFO or a device
 * is refused up front instead of blocking a read that no signal can cancel.
 */
export const inspectInputPath = Effect.fn("fs.inspectInputPath")(function*(path: string) {
  const fs = yield* FileSystem.FileSystem
  return yield* fs.stat(path).pipe(
    Effect.map((info): InputPath =>
      info.type === "File" ? { _tag: "File", size: Number(info.size) } : { _tag: "NotAFile", what: described[info.type] }
    ),
    Effect.catchAll((error) =>
      Effect.succeed<InputPath>(
        error._tag === "SystemError" && error.reason === "NotFound"
          ? { _tag: "Missing" }
          : { _tag: "Unreadable", reason: error.message }
      )
    )
  )
})
