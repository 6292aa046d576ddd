import { Schema } from "effect"

/** Run directories could not be listed or read. */
export class RunsError extends Schema.TaggedError<RunsError>()("RunsError", {
  path: Schema.String,
  reason: Schema.String,
  fix: Schema.String
}) {
  override get message(): string {
    return `${this.path}: ${this.reason}`
  }
}
