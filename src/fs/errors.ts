import type { PlatformError } from "@effect/platform/Error"
import { Schema } from "effect"

/** A file or directory could not be written; whatever was at `path` before is untouched. */
export class AtomicWriteError extends Schema.TaggedError<AtomicWriteError>()("AtomicWriteError", {
  path: Schema.String,
  reason: Schema.String,
  fix: Schema.String
}) {
  override get message(): string {
    return `cannot write ${this.path}: ${this.reason}.`
  }
}

/** What is wrong with a directory written by `writeDirAtomic` (torn, truncated, corrupted, missing). */
export const DirProblem = Schema.Literal(
  "missing-dir",
  "missing-done",
  "missing-manifest",
  "bad-manifest",
  "missing-file",
  "size-mismatch",
  "hash-mismatch",
  "unreadable"
)
export type DirProblem = typeof DirProblem.Type

/** `verifyDir`'s verdict on a directory that must not be loaded; `reason` is one human line. */
export class DirInvalid extends Schema.TaggedError<DirInvalid>()("DirInvalid", {
  path: Schema.String,
  problem: DirProblem,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.path}: ${this.reason}`
  }
}

/** The errno code behind a platform error (`ENOSPC`, `EACCES`, ...), when there is one. */
export const errnoOf = (error: PlatformError): string | undefined => {
  if (error._tag === "SystemError") {
    const cause: unknown = error.cause
    if (typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string") {
      return cause.code
    }
    switch (error.reason) {
      case "NotFound":
        return "ENOENT"
      case "PermissionDenied":
        return "EACCES"
      case "AlreadyExists":
        return "EEXIST"
      default:
        return undefined
    }
  }
  return undefined
}

const permission = { reason: "permission denied", fix: "Make the directory writable for this user or set output_dir to a directory you own." }
const openFiles = { reason: "too many open files", fix: "Raise the open-file limit (ulimit -n) and retry." }

/** What each errno means for a write, and what to do about it. */
const writeProblems: Readonly<Record<string, { readonly reason: string; readonly fix: string }>> = {
  ENOSPC: { reason: "no space left on device", fix: "Free disk space (old runs/, checkpoints, the .cache folder) or set output_dir to a larger disk." },
  EDQUOT: { reason: "disk quota exceeded", fix: "Free space within your quota or set output_dir elsewhere." },
  EACCES: permission,
  EPERM: permission,
  EROFS: { reason: "read-only file system", fix: "Set output_dir to a directory on a writable file system." },
  ENOTDIR: { reason: "a parent of the path is a file, not a directory", fix: "Remove or rename that file, or choose another path." },
  EISDIR: { reason: "the path is a directory", fix: "Remove that directory or choose another path." },
  EMFILE: openFiles,
  ENFILE: openFiles,
  EIO: { reason: "input/output error", fix: "Check the disk for hardware or network-mount problems." }
}

const describe = (code: string | undefined, fallback: string): { readonly reason: string; readonly fix: string } =>
  (code === undefined ? undefined : writeProblems[code]) ?? { reason: fallback, fix: "Check that the directory exists, is writable and has free space." }

/** Turns a platform error from writing `path` into a tagged error with a reason and a fix hint. */
export const writeErrorFrom = (path: string, error: PlatformError): AtomicWriteError => {
  const code = errnoOf(error)
  const { reason, fix } = describe(code, error.message)
  return new AtomicWriteError({ path, reason: code === undefined ? reason : `${reason} (${code})`, fix })
}
