import { FileSystem, Path } from "@effect/platform"
import { Effect, Layer } from "effect"
import { layerFromSpecs } from "./FanOut.js"
import { type SinkSpec, toTrackerError } from "./Sink.js"
import type { RunInfo, Tracker } from "./Tracker.js"

/** Where the training loop stands when it resumes: lines with a larger step of that kind are dropped. */
export type ResumePositions = Partial<Record<"batch" | "epoch" | "final", number>>

const lineOf = (kind: string, step: number, time: number, metrics: Readonly<Record<string, number>>): string =>
  // JSON has no NaN/Infinity: they are written as null, which readers treat as missing.
  JSON.stringify({ kind, step, time, ...metrics }) + "\n"

/** Lines buffered beyond this are written without waiting for a flush. */
const maxBuffered = 200

/** `<runDir>/metrics.jsonl`: one JSON object per metrics call, `{kind, step, time, ...metrics}`. */
export const jsonlSpec = (info: RunInfo): Effect.Effect<SinkSpec, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const file = path.join(info.runDir, "metrics.jsonl")
    const fail = toTrackerError("jsonl", file)
    return {
      name: "jsonl",
      remote: false,
      accepts: ["metrics"],
      open: Effect.gen(function*() {
        yield* fs.makeDirectory(info.runDir, { recursive: true }).pipe(Effect.mapError(fail))
        // A fresh run starts a fresh file; a resumed one appends (the loop truncates first).
        if (!info.resumed) yield* fs.writeFileString(file, "").pipe(Effect.mapError(fail))
        let buffer: Array<string> = []
        const flush = Effect.suspend(() => {
          if (buffer.length === 0) return Effect.void
          const text = buffer.join("")
          buffer = []
          return fs.writeFileString(file, text, { flag: "a" }).pipe(Effect.mapError(fail))
        })
        return {
          write: (calls) =>
            Effect.suspend(() => {
              let durable = false
              for (const call of calls) {
                if (call._tag !== "metrics") continue
                buffer.push(lineOf(call.kind, call.step, call.time, call.metrics))
                durable ||= call.kind !== "batch"
              }
              // Epoch and final lines are written at once so `runs ls` and plots see them.
              return durable || buffer.length >= maxBuffered ? flush : Effect.void
            }),
          flush,
          close: () => flush
        }
      })
    }
  })

/** Writes metrics.jsonl in the run directory. */
export const layerJsonl = (info: RunInfo): Layer.Layer<Tracker, never, FileSystem.FileSystem | Path.Path> =>
  Layer.unwrapEffect(Effect.map(jsonlSpec(info), (spec) => layerFromSpecs([spec])))

const isKind = (kind: string): kind is keyof ResumePositions =>
  kind === "batch" || kind === "epoch" || kind === "final"

const stepOf = (line: string): { readonly kind: string; readonly step: number } | undefined => {
  try {
    const value: unknown = JSON.parse(line)
    if (typeof value !== "object" || value === null || !("kind" in value) || !("step" in value)) return undefined
    const { kind, step } = value
    return typeof kind === "string" && typeof step === "number" ? { kind, step } : undefined
  } catch {
    return undefined
  }
}

/**
 * Before resuming: drop lines whose step is beyond where the loop resumes (per kind), and any torn
 * last line, so that the continued run does not duplicate steps. Rewrites the file atomically.
 */
export const truncateJsonlAfter = Effect.fn("Tracking.truncateJsonlAfter")(function*(
  file: string,
  positions: ResumePositions
) {
  const fs = yield* FileSystem.FileSystem
  const fail = toTrackerError("jsonl", file)
  if (!(yield* fs.exists(file).pipe(Effect.mapError(fail)))) return { kept: 0, dropped: 0 }
  const text = yield* fs.readFileString(file).pipe(Effect.mapError(fail))
  const lines = text.split("\n").filter((line) => line.trim() !== "")
  const kept = lines.filter((line) => {
    const parsed = stepOf(line)
    if (parsed === undefined) return false
    const limit = isKind(parsed.kind) ? positions[parsed.kind] : undefined
    return limit === undefined || parsed.step <= limit
  })
  const temp = `${file}.tmp-${process.pid}`
  yield* fs.writeFileString(temp, kept.map((line) => line + "\n").join("")).pipe(Effect.mapError(fail))
  yield* fs.rename(temp, file).pipe(Effect.mapError(fail))
  return { kept: kept.length, dropped: lines.length - kept.length }
})
