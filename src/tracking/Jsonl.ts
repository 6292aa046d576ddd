import { FileSystem, Path } from "@effect/platform"
import { Effect, Layer, Schema } from "effect"
import { type MetricKind, MetricLine, RunFiles } from "../rundir/files.js"
import { layerFromSpecs } from "./FanOut.js"
import { type SinkSpec, toTrackerError } from "./Sink.js"
import type { RunInfo, Tracker } from "./Tracker.js"

const encodeLine = Schema.encodeSync(MetricLine)

// JSON has no NaN/Infinity: they are written as null, which readers treat as missing.
const lineOf = (kind: MetricKind, step: number, time: number, metrics: Readonly<Record<string, number>>): string =>
  JSON.stringify(encodeLine({ kind, step, time, values: metrics })) + "\n"

/** Lines buffered beyond this are written without waiting for a flush. */
const maxBuffered = 200

/** `<runDir>/metrics.jsonl`: one line per metrics call, in the run directory's `MetricLine` format. */
export const jsonlSpec = (info: RunInfo): Effect.Effect<SinkSpec, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const file = path.join(info.runDir, RunFiles.metrics)
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
