import { FileSystem } from "@effect/platform"
import { Effect, Option, ParseResult, Schema } from "effect"
import { ReportError } from "./ReportError.js"

/** Scores of one split: mse, rmse, mae, mape, smape, r2, directional_accuracy (null when undefined). */
export const MetricSet = Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.Number) })

/** `summary.json` as readers see it: every field optional, unknown fields ignored. */
export const RunSummary = Schema.Struct({
  experiment: Schema.optional(Schema.String),
  run: Schema.optional(Schema.String),
  status: Schema.optional(Schema.String),
  started_at: Schema.optional(Schema.String),
  finished_at: Schema.optional(Schema.String),
  duration_s: Schema.optional(Schema.Number),
  best_epoch: Schema.optional(Schema.NullOr(Schema.Number)),
  epochs_completed: Schema.optional(Schema.Number),
  device: Schema.optional(Schema.Unknown),
  engine: Schema.optional(Schema.Unknown),
  metrics: Schema.optional(Schema.Struct({
    val: Schema.optional(MetricSet),
    test: Schema.optional(MetricSet),
    baselines: Schema.optional(Schema.Struct({
      test: Schema.optional(Schema.Record({ key: Schema.String, value: MetricSet }))
    })),
    skill: Schema.optional(Schema.Unknown)
  })),
  hparams: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})

/** A decoded `summary.json`. */
export type RunSummary = typeof RunSummary.Type

/** Read `<runDir>/summary.json`; None when the run has none (yet). */
export const readSummary = (file: string): Effect.Effect<Option.Option<RunSummary>, ReportError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const fail = (reason: string) => new ReportError({ path: file, reason })
    if (!(yield* fs.exists(file).pipe(Effect.mapError((e) => fail(e.message))))) return Option.none()
    const text = yield* fs.readFileString(file).pipe(Effect.mapError((e) => fail(e.message)))
    return Option.some(
      yield* Schema.decodeUnknown(Schema.parseJson(RunSummary))(text).pipe(
        Effect.mapError((e) => fail(`not a run summary: ${ParseResult.TreeFormatter.formatErrorSync(e)}`))
      )
    )
  })

/** Flatten nested values to dotted keys: `{a: {b: 1}}` → `{"a.b": 1}`. */
export const flatten = (value: unknown, prefix = ""): Record<string, string | number | boolean | null> => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const leaf = Array.isArray(value) ? JSON.stringify(value) : value
    return typeof leaf === "string" || typeof leaf === "number" || typeof leaf === "boolean" || leaf === null
      ? { [prefix]: leaf }
      : { [prefix]: String(leaf) }
  }
  const out: Record<string, string | number | boolean | null> = {}
  for (const [k, v] of Object.entries(value)) Object.assign(out, flatten(v, prefix === "" ? k : `${prefix}.${k}`))
  return out
}
