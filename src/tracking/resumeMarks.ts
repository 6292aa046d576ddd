import { Option, Schema } from "effect"
import { MetricLine } from "../rundir/files.js"
import type { ResumeMarks } from "./FanOut.js"

const decodeLine = Schema.decodeUnknownOption(Schema.parseJson(MetricLine))

/**
 * The highest step per kind in a run's metrics.jsonl text, read before a resume trims it: what
 * earlier attempts logged, and what append-only backends (servers, event files) already hold.
 */
export const loggedMarks = (metricsText: string): ResumeMarks => {
  const marks: { batch?: number; epoch?: number; final?: number } = {}
  for (const line of metricsText.split("\n")) {
    if (line.trim() === "") continue
    const row = decodeLine(line)
    if (Option.isNone(row)) continue
    const { kind, step } = row.value
    marks[kind] = Math.max(marks[kind] ?? -Infinity, step)
  }
  return marks
}
