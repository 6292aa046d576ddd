import { Cause, Effect } from "effect"
import { type Call, describe, type TrackerError } from "./Sink.js"
import type { RunStatus } from "./Tracker.js"

/** What became of one backend's points: taken by it, kept in its spool for later, or lost. */
export interface Delivery {
  readonly delivered: number
  readonly spooled: number
  readonly dropped: number
}

/** Counters of one backend, updated as it works. */
export interface Stats {
  failed: number
  first: string | undefined
  /** Points lost: queue overflow, a full spool, or a backend that can never take them. */
  dropped: number
  delivered: number
  /** Points held in the spool at the end (sent on resume or `pipeline runs sync`). */
  spooled: number
}

/** A fresh set of counters. */
export const newStats = (): Stats => ({ failed: 0, first: undefined, dropped: 0, delivered: 0, spooled: 0 })

/** How the fan-out talks to the user while it finishes (defaults to log warnings). */
export interface Notices {
  readonly note: (line: string) => Effect.Effect<void>
  /** What the process is busy with now (a second Ctrl-C prints it); null when nothing in particular. */
  readonly activity: (text: string | null) => Effect.Effect<void>
}

/** One backend as the fan-out drives it. */
export interface Lane {
  readonly name: string
  readonly accepts: ReadonlySet<Call["_tag"]>
  readonly appendOnly: boolean
  readonly stats: Stats
  readonly submit: (call: Call) => Effect.Effect<void>
  readonly flush: Effect.Effect<void>
  /** Finalize with the run's status, waiting at most `timeoutMs` for a remote backend. */
  readonly close: (status: RunStatus, timeoutMs: number) => Effect.Effect<void>
}

/** Count a failure; the first one of a backend is logged, the rest only counted. */
export const recordFailure = (name: string, stats: Stats, reason: string, notices: Notices): Effect.Effect<void> =>
  Effect.suspend(() => {
    stats.failed += 1
    if (stats.first !== undefined) return Effect.void
    stats.first = reason
    return notices.note(`tracking: ${name} failed: ${reason} (the run goes on; further failures are counted)`)
  })

/** Run a backend operation so that nothing but an interruption escapes: failures and defects are recorded. */
export const guarded = (
  name: string,
  stats: Stats,
  notices: Notices,
  effect: Effect.Effect<void, TrackerError>
): Effect.Effect<void> =>
  effect.pipe(
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.interrupt
        : recordFailure(name, stats, describe(Cause.squash(cause)), notices)
    )
  )
