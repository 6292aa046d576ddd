import { FileSystem } from "@effect/platform"
import { parse } from "csv-parse/sync"
import { Effect } from "effect"
import { ReportError } from "./ReportError.js"

/** Train and validation loss of one epoch (null when not logged or not finite). */
export interface EpochLoss {
  readonly epoch: number
  readonly train: number | null
  readonly validation: number | null
}

/** One row of `predictions/test.csv`, in the original units. */
export interface PredictionRow {
  readonly time: string
  readonly actual: number | null
  readonly predicted: number | null
  readonly seasonalNaive: number | null
  readonly lastValue: number | null
}

const readText = (file: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const exists = yield* fs.exists(file)
    return exists ? yield* fs.readFileString(file) : undefined
  }).pipe(Effect.mapError((e) => new ReportError({ path: file, reason: e.message })))

const numberOrNull = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) ? value : null

/**
 * Epoch losses from `metrics.jsonl` (`kind: "epoch"` lines), ordered by epoch; a later line for the
 * same epoch (a resumed run) wins. Torn or foreign lines are skipped. Empty when the file is missing.
 */
export const readEpochLosses = (file: string): Effect.Effect<ReadonlyArray<EpochLoss>, ReportError, FileSystem.FileSystem> =>
  Effect.map(readText(file), (text) => {
    const byEpoch = new Map<number, EpochLoss>()
    for (const line of (text ?? "").split("\n")) {
      if (line.trim() === "") continue
      let row: unknown
      try {
        row = JSON.parse(line)
      } catch {
        continue
      }
      if (typeof row !== "object" || row === null || !("kind" in row) || row.kind !== "epoch") continue
      if (!("step" in row) || typeof row.step !== "number") continue
      const record: Record<string, unknown> = { ...row }
      byEpoch.set(row.step, {
        epoch: row.step,
        train: numberOrNull(record["train/loss"]),
        validation: numberOrNull(record["val/loss"])
      })
    }
    return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch)
  })

const predictionColumns = ["time", "actual", "predicted", "seasonal_naive", "last_value"] as const

const parseNumber = (text: string | undefined): number | null => {
  if (text === undefined || text.trim() === "") return null
  const value = Number(text)
  return Number.isFinite(value) ? value : null
}

/** `predictions/test.csv` (`time,actual,predicted,seasonal_naive,last_value`); empty when missing. */
export const readPredictions = (file: string): Effect.Effect<ReadonlyArray<PredictionRow>, ReportError, FileSystem.FileSystem> =>
  Effect.flatMap(readText(file), (text) =>
    Effect.try({
      try: () => {
        if (text === undefined) return []
        const rows: Array<Record<string, string>> = parse(text, { columns: true, skip_empty_lines: true, trim: true })
        const header = rows.length === 0 ? [] : Object.keys(rows[0]!)
        const missing = predictionColumns.filter((c) => rows.length > 0 && !header.includes(c))
        if (missing.length > 0) throw new Error(`missing column(s) ${missing.join(", ")}; expected header ${predictionColumns.join(",")}`)
        return rows.map((row) => ({
          time: row.time ?? "",
          actual: parseNumber(row.actual),
          predicted: parseNumber(row.predicted),
          seasonalNaive: parseNumber(row.seasonal_naive),
          lastValue: parseNumber(row.last_value)
        }))
      },
      catch: (cause) => new ReportError({ path: file, reason: cause instanceof Error ? cause.message : String(cause) })
    }))
