import { Schema } from "effect"

/** A run directory, or one of its files, could not be created, found or read. */
export class RunDirError extends Schema.TaggedError<RunDirError>()("RunDirError", {
  path: Schema.String,
  message: Schema.String,
  fix: Schema.String
}) {}
