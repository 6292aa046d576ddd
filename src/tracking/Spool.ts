import { FileSystem, Path } from "@effect/platform"
import { Effect, Either, Schema } from "effect"
import { ModelSpecSchema } from "../model/spec.js"
import { type Call, pointsOf, toTrackerError, type TrackerError } from "./Sink.js"
import type { RunStatus } from "./Tracker.js"

/** JSON has no NaN or ±Infinity: they are spooled as the strings protobuf-JSON uses. */
const AnyNumber = Schema.transform(
  Schema.Union(Schema.Number, Schema.Literal("NaN", "Infinity", "-Infinity")),
  Schema.Number,
  {
    strict: true,
    decode: (v) => (typeof v === "string" ? Number(v) : v),
    encode: (v) => (Number.isNaN(v) ? "NaN" as const : v === Infinity ? "Infinity" as const : v === -Infinity ? "-Infinity" as const : v)
  }
)

const Values = Schema.Record({ key: Schema.String, value: AnyNumber })

const Float32 = Schema.declare((u: unknown): u is Float32Array => u instanceof Float32Array)

const Floats = Schema.transform(Schema.Array(AnyNumber), Float32, {
  strict: true,
  decode: (values) => Float32Array.from(values),
  encode: (array) => Array.from(array)
})

const SpooledCall = Schema.Union(
  Schema.TaggedStruct("params", {
    params: Schema.Record({ key: Schema.String, value: Schema.Union(Schema.String, Schema.Number, Schema.Boolean) }),
    time: Schema.Number
  }),
  Schema.TaggedStruct("tags", { tags: Schema.Record({ key: Schema.String, value: Schema.String }), time: Schema.Number }),
  Schema.TaggedStruct("graph", {
    spec: ModelSpecSchema,
    time: Schema.Number
  }),
  Schema.TaggedStruct("metrics", {
    metrics: Values,
    step: Schema.Number,
    kind: Schema.Literal("batch", "epoch", "final"),
    time: Schema.Number
  }),
  Schema.TaggedStruct("histograms", {
    values: Schema.Record({ key: Schema.String, value: Floats }),
    step: Schema.Number,
    time: Schema.Number
  }),
  Schema.TaggedStruct("text", { tag: Schema.String, text: Schema.String, step: Schema.Number, time: Schema.Number })
)

/** One line of a spool file: calls a server did not take yet, or the final status it was never told. */
export const SpoolEntry = Schema.Union(
  Schema.TaggedStruct("calls", { calls: Schema.Array(SpooledCall) }),
  Schema.TaggedStruct("close", { status: Schema.Literal("success", "failed", "interrupted"), time: Schema.Number })
)

/** A decoded spool line. */
export type SpoolEntry =
  | { readonly _tag: "calls"; readonly calls: ReadonlyArray<Call> }
  | { readonly _tag: "close"; readonly status: RunStatus; readonly time: number }

const encodeLine = Schema.encodeSync(Schema.parseJson(SpoolEntry))
const decodeLine = Schema.decodeUnknownEither(Schema.parseJson(SpoolEntry))

/** Points held by entries. */
export const spooledPoints = (entries: ReadonlyArray<SpoolEntry>): number =>
  entries.reduce((n, e) => n + (e._tag === "calls" ? e.calls.reduce((m, c) => m + pointsOf(c), 0) : 0), 0)

/** `<runDir>/tracking/spool/<backend>.jsonl`. */
export const spoolFile = (path: Path.Path, runDir: string, backend: string): string =>
  path.join(runDir, "tracking", "spool", `${backend}.jsonl`)

/**
 * What a remote backend could not deliver, on disk, in order: one JSON line per batch, appended
 * with a single write, so a crash leaves at most a torn last line (skipped when read). The file is
 * bounded by `maxBytes`: a batch that does not fit is refused and counted as dropped by the caller.
 * Used by one fiber at a time (the backend's worker).
 */
export interface Spool {
  readonly file: string
  /** Entries now held. */
  readonly size: () => number
  /** Append entries; false (and nothing written) when they would pass the bound. */
  readonly append: (entries: ReadonlyArray<SpoolEntry>) => Effect.Effect<boolean, TrackerError>
  /** Every entry, in order. */
  readonly entries: Effect.Effect<ReadonlyArray<SpoolEntry>, TrackerError>
  /** Keep only `remaining` (an atomic rewrite; the file is removed when none remain). */
  readonly replace: (remaining: ReadonlyArray<SpoolEntry>) => Effect.Effect<void, TrackerError>
}

/** Open (or create on first append) the spool of `backend` in a run directory. */
export const openSpool = Effect.fn("Tracking.openSpool")(function*(
  runDir: string,
  backend: string,
  maxBytes: number
) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const file = spoolFile(path, runDir, backend)
  const fail = toTrackerError(backend, file)
  const readAll = Effect.gen(function*() {
    if (!(yield* fs.exists(file))) return [] as ReadonlyArray<SpoolEntry>
    const text = yield* fs.readFileString(file)
    return text.split("\n").flatMap((line): ReadonlyArray<SpoolEntry> => {
      if (line.trim() === "") return []
      const decoded = decodeLine(line)
      return Either.isRight(decoded) ? [decoded.right] : []
    })
  }).pipe(Effect.mapError(fail))
  const initial = yield* readAll.pipe(Effect.orElseSucceed(() => []))
  let count = initial.length
  let bytes = yield* fs.stat(file).pipe(Effect.map((s) => Number(s.size)), Effect.orElseSucceed(() => 0))
  const spool: Spool = {
    file,
    size: () => count,
    append: (entries) =>
      Effect.gen(function*() {
        if (entries.length === 0) return true
        const text = entries.map((e) => encodeLine(e) + "\n").join("")
        const size = Buffer.byteLength(text)
        if (bytes + size > maxBytes) return false
        yield* fs.makeDirectory(path.dirname(file), { recursive: true })
        yield* fs.writeFileString(file, text, { flag: "a" })
        bytes += size
        count += entries.length
        return true
      }).pipe(Effect.mapError(fail)),
    entries: readAll,
    replace: (remaining) =>
      Effect.gen(function*() {
        if (remaining.length === 0) {
          yield* fs.remove(file, { force: true })
          bytes = 0
          count = 0
          return
        }
        const text = remaining.map((e) => encodeLine(e) + "\n").join("")
        const temp = `${file}.tmp-${process.pid}`
        yield* fs.writeFileString(temp, text)
        yield* fs.rename(temp, file)
        bytes = Buffer.byteLength(text)
        count = remaining.length
      }).pipe(Effect.mapError(fail))
  }
  return spool
})

/** A spool held in memory, for a fan-out that has no run directory (tests, `pipeline stage` without one). */
export const memorySpool = (backend: string, maxEntries: number): Spool => {
  let held: ReadonlyArray<SpoolEntry> = []
  return {
    file: `(memory spool of ${backend})`,
    size: () => held.length,
    append: (entries) =>
      Effect.sync(() => {
        if (held.length + entries.length > maxEntries) return false
        held = [...held, ...entries]
        return true
      }),
    entries: Effect.sync(() => held),
    replace: (remaining) =>
      Effect.sync(() => {
        held = remaining
      })
  }
}
