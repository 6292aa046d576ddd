import { FileSystem, Path } from "@effect/platform"
import { parse } from "csv-parse/sync"
import { Effect, Option, ParseResult, Schema } from "effect"
import { EvalReport } from "../evaluate/evaluate.js"
import { writeFileAtomic } from "../fs/atomic.js"
import type { AtomicWriteError } from "../fs/errors.js"
import { MetricKind, MetricLine, predictionColumns, PredictionsCsv, Preprocessing, requiredPredictionColumns, RunFiles, RunSummary } from "./files.js"
import { RunDirError } from "./RunDirError.js"

/** Where a run lives. */
export interface RunLocation {
  readonly experiment: string
  readonly runName: string
  readonly runDir: string
  /** True when the directory existed (a resumed run). */
  readonly existing: boolean
}

/** Train and validation loss of one epoch (null when not logged or not finite). */
export interface EpochLoss {
  readonly epoch: number
  readonly train: number | null
  readonly validation: number | null
}

/** One row of `predictions/test.csv` as stored: numbers in original units, null where undefined. */
export type StoredPrediction = typeof PredictionsCsv.Encoded[number]

/** Where the training loop stands when it resumes: metrics lines with a larger step of that kind are dropped. */
export type MetricPositions = Partial<Record<MetricKind, number>>

/** The bytes of a run directory: the file system, or memory in tests. Writes are atomic. */
interface Storage {
  readonly read: (file: string) => Effect.Effect<Option.Option<Uint8Array>, RunDirError>
  readonly write: (file: string, data: Uint8Array) => Effect.Effect<void, AtomicWriteError>
}

/** One run directory: every path and every file's format in one place. */
export interface RunDirectoryService {
  readonly location: RunLocation
  /** Absolute path of a file or folder of the run (`RunFiles.*`). */
  readonly path: (file: string) => string
  /** Write a file atomically (temp, fsync, rename), creating its folder. */
  readonly write: (file: string, data: Uint8Array | string) => Effect.Effect<string, AtomicWriteError>
  /** A file's bytes; None when it does not exist. */
  readonly readBytes: (file: string) => Effect.Effect<Option.Option<Uint8Array>, RunDirError>
  /** A file's text; None when it does not exist. */
  readonly readText: (file: string) => Effect.Effect<Option.Option<string>, RunDirError>
  readonly writeSummary: (summary: RunSummary) => Effect.Effect<void, AtomicWriteError>
  /** summary.json; None when the run has none (yet), RunDirError when it is not a summary. */
  readonly readSummary: Effect.Effect<Option.Option<RunSummary>, RunDirError>
  readonly readPreprocessing: Effect.Effect<Preprocessing, RunDirError>
  /** eval.json; None when the run has none (yet), RunDirError when it is not an evaluation report. */
  readonly readEval: Effect.Effect<Option.Option<EvalReport>, RunDirError>
  readonly writePredictions: (rows: ReadonlyArray<typeof PredictionsCsv.Type[number]>) => Effect.Effect<void, AtomicWriteError>
  /** predictions/test.csv; empty when missing. */
  readonly readPredictions: Effect.Effect<ReadonlyArray<StoredPrediction>, RunDirError>
  /** Epoch losses from metrics.jsonl, by epoch (a later line for an epoch wins); torn or foreign lines skipped. */
  readonly readEpochLosses: Effect.Effect<ReadonlyArray<EpochLoss>, RunDirError>
  /** Before resuming: drop metrics lines past where the loop resumes, and any torn line. */
  readonly trimMetrics: (positions: MetricPositions) => Effect.Effect<{ readonly kept: number; readonly dropped: number }, RunDirError | AtomicWriteError>
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const bytesOf = (data: Uint8Array | string): Uint8Array => (typeof data === "string" ? encoder.encode(data) : data)

const decodeMetricLine = Schema.decodeUnknownOption(Schema.parseJson(MetricLine))
const encodePredictions = Schema.encodeSync(PredictionsCsv)
const decodePredictions = Schema.decodeUnknownEither(Schema.Array(Schema.encodedSchema(PredictionsCsv.value)))

const finiteOrNull = (value: number | null | undefined): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null)

/** A CSV cell: quoted (RFC 4180) when it holds a comma, quote or line break, as a series id may. */
const cellOf = (value: string | number | null): string => {
  const text = value === null ? "" : String(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

const numberCell = (text: string | undefined): number | null => {
  if (text === undefined || text.trim() === "") return null
  const value = Number(text)
  return Number.isFinite(value) ? value : null
}

/** The run directory service over a storage. */
const makeService = (location: RunLocation, storage: Storage, join: (file: string) => string): RunDirectoryService => {
  const readText = (file: string) => Effect.map(storage.read(file), Option.map((b) => decoder.decode(b)))
  const invalid = (file: string, reason: string, fix: string) => new RunDirError({ path: join(file), message: `${join(file)} ${reason}`, fix })
  const write = (file: string, data: Uint8Array | string) => Effect.as(storage.write(file, bytesOf(data)), join(file))
  const metricLines = Effect.map(readText(RunFiles.metrics), (text) => Option.getOrElse(text, () => "").split("\n").filter((l) => l.trim() !== ""))
  return {
    location,
    path: join,
    write,
    readBytes: storage.read,
    readText,
    writeSummary: (summary) => Effect.asVoid(write(RunFiles.summary, JSON.stringify(Schema.encodeSync(RunSummary)(summary), null, 2) + "\n")),
    readSummary: Effect.flatMap(readText(RunFiles.summary), (text) =>
      Option.isNone(text)
        ? Effect.succeed(Option.none())
        : Schema.decodeUnknown(Schema.parseJson(RunSummary))(text.value).pipe(
          Effect.map(Option.some),
          Effect.mapError((e) =>
            invalid(RunFiles.summary, `is not a run summary of this version: ${ParseResult.TreeFormatter.formatErrorSync(e).split("\n").slice(-1)[0]?.trim()}`, "re-run the run, or delete the directory")
          )
        )),
    readEval: Effect.flatMap(readText(RunFiles.eval), (text) =>
      Option.isNone(text)
        ? Effect.succeed(Option.none())
        : Schema.decodeUnknown(Schema.parseJson(EvalReport))(text.value).pipe(
          Effect.map(Option.some),
          Effect.mapError(() => invalid(RunFiles.eval, "is not an evaluation report of this version.", "re-run the run, or `pipeline stage evaluate` it"))
        )),
    readPreprocessing: Effect.flatMap(readText(RunFiles.preprocessing), (text) =>
      Option.isNone(text)
        ? Effect.fail(new RunDirError({
          path: location.runDir,
          message: `${location.runDir} has no exported model (${join(RunFiles.preprocessing)} is missing).`,
          fix: "pass a finished run directory, e.g. the one `pipeline run` printed last"
        }))
        : Schema.decodeUnknown(Schema.parseJson(Preprocessing))(text.value).pipe(
          Effect.mapError(() => invalid(RunFiles.preprocessing, "is not valid.", "re-run `pipeline run` to export the model again"))
        )),
    writePredictions: (rows) => {
      const stored = encodePredictions(rows)
      const lines = stored.map((r) => predictionColumns.map((c) => cellOf(r[c])).join(","))
      return Effect.asVoid(write(RunFiles.predictions, [predictionColumns.join(","), ...lines].join("\n") + "\n"))
    },
    readPredictions: Effect.flatMap(readText(RunFiles.predictions), (text) =>
      Effect.gen(function*() {
        if (Option.isNone(text)) return []
        const rows = yield* Effect.try({
          try: (): Array<Record<string, string>> => parse(text.value, { columns: true, skip_empty_lines: true, trim: true }),
          catch: (e) => invalid(RunFiles.predictions, `is not CSV: ${e instanceof Error ? e.message : String(e)}`, "re-run the run")
        })
        const header = rows.length === 0 ? [] : Object.keys(rows[0]!)
        const missing = requiredPredictionColumns.filter((c) => rows.length > 0 && !header.includes(c))
        if (missing.length > 0) {
          return yield* invalid(RunFiles.predictions, `is missing column(s) ${missing.join(", ")}; expected header ${predictionColumns.join(",")}.`, "re-run the run")
        }
        const decoded = decodePredictions(rows.map((row) => ({
          series: row.series ?? "",
          time: row.time ?? "",
          actual: numberCell(row.actual),
          predicted: numberCell(row.predicted),
          seasonal_naive: numberCell(row.seasonal_naive),
          last_value: numberCell(row.last_value)
        })))
        if (decoded._tag === "Left") return yield* invalid(RunFiles.predictions, "has rows of the wrong shape.", "re-run the run")
        return decoded.right
      })),
    readEpochLosses: Effect.map(metricLines, (lines) => {
      const byEpoch = new Map<number, EpochLoss>()
      for (const line of lines) {
        const row = decodeMetricLine(line)
        if (Option.isNone(row) || row.value.kind !== "epoch") continue
        byEpoch.set(row.value.step, { epoch: row.value.step, train: finiteOrNull(row.value.values["train/loss"]), validation: finiteOrNull(row.value.values["val/loss"]) })
      }
      return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch)
    }),
    trimMetrics: (positions) =>
      Effect.gen(function*() {
        const exists = Option.isSome(yield* storage.read(RunFiles.metrics))
        if (!exists) return { kept: 0, dropped: 0 }
        const lines = yield* metricLines
        const kept = lines.filter((line) => {
          const row = decodeMetricLine(line)
          if (Option.isNone(row)) return false
          const limit = positions[row.value.kind]
          return limit === undefined || row.value.step <= limit
        })
        yield* write(RunFiles.metrics, kept.map((line) => line + "\n").join(""))
        return { kept: kept.length, dropped: lines.length - kept.length }
      })
  }
}

/** The run directory on the file system. */
export const make = (location: RunLocation): Effect.Effect<RunDirectoryService, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const join = (file: string) => path.join(location.runDir, file)
    const storage: Storage = {
      read: (file) =>
        fs.readFile(join(file)).pipe(
          Effect.map(Option.some),
          Effect.catchAll((e) =>
            e._tag === "SystemError" && e.reason === "NotFound"
              ? Effect.succeed(Option.none())
              : Effect.fail(new RunDirError({ path: join(file), message: `cannot read ${join(file)}: ${e.message}`, fix: "check the file's permissions" }))
          )
        ),
      write: (file, data) => writeFileAtomic(join(file), data).pipe(Effect.provideService(FileSystem.FileSystem, fs), Effect.provideService(Path.Path, path))
    }
    return makeService(location, storage, join)
  })

/** A run directory that already exists at `runDir`, for readers (report, runs, predict). */
export const at = (runDir: string): Effect.Effect<RunDirectoryService, never, FileSystem.FileSystem | Path.Path> =>
  Effect.flatMap(Path.Path, (path) =>
    make({ experiment: path.basename(path.dirname(runDir)), runName: path.basename(runDir), runDir, existing: true }))

/** A run directory held in memory (tests): `files` maps relative paths to bytes and sees every write. */
export const makeMemory = (location: RunLocation, files: Map<string, Uint8Array> = new Map()): RunDirectoryService =>
  makeService(location, {
    read: (file) => Effect.sync(() => Option.fromNullable(files.get(file))),
    write: (file, data) => Effect.sync(() => void files.set(file, data))
  }, (file) => `${location.runDir}/${file}`)
