import { Schema } from "effect"

/** Bad config input: names the file, the field, what is wrong and how to fix it. */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  file: Schema.String,
  field: Schema.String,
  message: Schema.String,
  fix: Schema.String
}) {}
