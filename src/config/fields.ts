import { Schema } from "effect"

/** An optional config field with a default and the description shown in `config show` and the README. */
export const field = <A, I>(
  schema: Schema.Schema<A, I, never>,
  defaultValue: NoInfer<A>,
  description: string
) =>
  Schema.optionalWith(schema.annotations({ documentation: description, default: defaultValue }), {
    default: () => defaultValue
  })

/** A nested config section (a Struct schema) whose omitted keys all take their defaults. */
export const section = <A, I>(struct: Schema.Schema<A, I, never>, description: string) => {
  const defaults: A = Schema.decodeUnknownSync(struct)({})
  return Schema.optionalWith(struct.annotations({ documentation: description }), { default: () => defaults })
}

/** A positive integer. */
export const PositiveInt = Schema.Int.pipe(Schema.positive())

/** A non-negative integer. */
export const NonNegativeInt = Schema.Int.pipe(Schema.nonNegative())

/** A finite number strictly greater than zero. */
export const PositiveNumber = Schema.Number.pipe(Schema.finite(), Schema.positive())
