import { type Effect, Schema, type Scope } from "effect"
import type { ModelSpec } from "../model/spec.js"
import type { Metrics, Params, RunStatus, Tags } from "./Tracker.js"

/** A backend could not record something; the fan-out counts it and training goes on. */
export class TrackerError extends Schema.TaggedError<TrackerError>()("TrackerError", {
  backend: Schema.String,
  reason: Schema.String,
  /** The server may take it later (unreachable, timed out, 5xx, 429): the calls are spooled, not given up. */
  retriable: Schema.optional(Schema.Boolean),
  /** How many of the calls passed to `write`, counted from the end, were not delivered (default: all). */
  unsent: Schema.optional(Schema.Number)
}) {
  override get message(): string {
    return `${this.backend}: ${this.reason}`
  }
}

/** One call on the Tracker, as data, stamped with the wall time (ms) at which it was made. */
export type Call =
  | { readonly _tag: "params"; readonly params: Params; readonly time: number }
  | { readonly _tag: "tags"; readonly tags: Tags; readonly time: number }
  | { readonly _tag: "graph"; readonly spec: ModelSpec; readonly time: number }
  | {
    readonly _tag: "metrics"
    readonly metrics: Metrics
    readonly step: number
    readonly kind: "batch" | "epoch" | "final"
    readonly time: number
  }
  | {
    readonly _tag: "histograms"
    readonly values: Readonly<Record<string, Float32Array>>
    readonly step: number
    readonly time: number
  }
  | { readonly _tag: "text"; readonly tag: string; readonly text: string; readonly step: number; readonly time: number }

/** An opened backend. `write` gets calls in order; a remote backend may get several at once to batch them. */
export interface Sink {
  readonly write: (calls: ReadonlyArray<Call>) => Effect.Effect<void, TrackerError>
  readonly flush: Effect.Effect<void, TrackerError>
  /** Finalize the run with its status; called once, after the last write. */
  readonly close: (status: RunStatus) => Effect.Effect<void, TrackerError>
}

/** How to open a backend, and whether it talks to the network. */
export interface SinkSpec {
  readonly name: string
  /**
   * Remote backends are opened and served by their own fiber behind a bounded drop-oldest
   * queue, so a slow or dead server never blocks the training loop.
   */
  readonly remote: boolean
  /** Call kinds this backend records; others are not queued for it. */
  readonly accepts: ReadonlyArray<Call["_tag"]>
  /**
   * True when what it recorded before a resume stays there (a server, event files): on resume it
   * is not sent again the steps an earlier attempt already logged (see `FanOutOptions.resumeMarks`).
   */
  readonly appendOnly?: boolean
  /** Resources opened here live until the tracker is finalized. */
  readonly open: Effect.Effect<Sink, TrackerError, Scope.Scope>
}

/** Metric values, histograms and texts a call carries: what "points delivered / spooled / dropped" count. */
export const pointsOf = (call: Call): number => {
  switch (call._tag) {
    case "params":
    case "tags":
    case "graph":
      return 0
    case "metrics":
      return Object.keys(call.metrics).length
    case "histograms":
      return Object.keys(call.values).length
    case "text":
      return 1
  }
}

/** Wrap any thrown or rejected value as a TrackerError of `backend`. */
export const toTrackerError = (backend: string, what: string) => (cause: unknown): TrackerError =>
  new TrackerError({ backend, reason: `${what}: ${describe(cause)}` })

/** A short human-readable text for an unknown error value. */
export const describe = (cause: unknown): string => {
  if (cause instanceof TrackerError) return cause.reason
  if (cause instanceof Error) {
    const inner = cause.cause instanceof Error ? ` (${cause.cause.message})` : ""
    return `${cause.message}${inner}`
  }
  if (typeof cause === "object" && cause !== null && "message" in cause && typeof cause.message === "string") {
    return cause.message
  }
  return String(cause)
}
