import { FileSystem } from "@effect/platform"
import { Effect, Either, Option, Schema } from "effect"

/** A metrics.jsonl line as the sweep reads it: its kind, its step and any metrics beside them. */
const MetricsLine = Schema.parseJson(Schema.Struct(
  { kind: Schema.String, step: Schema.Number },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
))
const decodeLine = Schema.decodeUnknownEither(MetricsLine)

/** What the sweep reads of a run's summary.json: whether it finished, its epochs and metrics. */
const TrialSummary = Schema.parseJson(Schema.Struct({
  status: Schema.String,
  epochs_completed: Schema.Number,
  metrics: Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}))

/** A run's summary.json when it says the run succeeded; None when it is missing, unreadable or another status. */
export const successfulSummary = (file: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(file).pipe(Effect.option)
    if (text._tag === "None") return Option.none()
    const decoded = Schema.decodeUnknownOption(TrialSummary)(text.value)
    return Option.filter(decoded, (s) => s.status === "success")
  })

/** The metrics.jsonl key of a per-epoch metric named as in the train config (`val_loss` → `val/loss`). */
export const epochKey = (metric: string): string => metric.replace("_", "/")

/**
 * The epochs a run's metrics.jsonl has logged so far, with one per-epoch metric (null when the
 * line lacks it): in step order, each epoch once (a resumed run may have rewritten the file).
 * A missing file is no epochs yet; a torn last line is skipped until it is whole.
 */
export const epochValues = (file: string, metric: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(file).pipe(Effect.orElseSucceed(() => ""))
    const key = epochKey(metric)
    const byEpoch = new Map<number, number | null>()
    for (const line of text.split("\n")) {
      if (!line.includes('"epoch"')) continue
      const parsed = decodeLine(line)
      if (Either.isLeft(parsed) || parsed.right.kind !== "epoch") continue
      const value = parsed.right[key]
      byEpoch.set(parsed.right.step, typeof value === "number" ? value : null)
    }
    return [...byEpoch.entries()].sort((a, b) => a[0] - b[0]).map(([epoch, value]) => ({ epoch, value }))
  })
