import { Clock, Effect, Exit, Layer, Scope } from "effect"
import { type Delivery, guarded, type Lane, newStats, type Notices } from "./lane.js"
import { remoteLane } from "./remoteLane.js"
import { type Call, pointsOf, type Sink, type SinkSpec, type TrackerError } from "./Sink.js"
import { memorySpool, type Spool } from "./Spool.js"
import { statusFromExit } from "./status.js"
import { Tracker, type TrackerService } from "./Tracker.js"

/** Highest step per kind an earlier attempt of a resumed run already logged. */
export type ResumeMarks = Partial<Record<"batch" | "epoch" | "final", number>>

/** Per backend, what became of its points; filled when the tracker is finalized. */
export type DeliveryLog = Record<string, Delivery>

/** Tuning of the fan-out; the defaults suit a training run. */
export interface FanOutOptions {
  /** Calls a remote backend may hold in memory before the oldest are dropped (and counted). */
  readonly queueCapacity?: number
  /** How long finalization waits for a remote backend to send what it holds and close. Default 15 s. */
  readonly closeTimeoutMs?: number
  /** The same after an interrupt (Ctrl-C): the user is waiting. Default 2 s. */
  readonly interruptedCloseTimeoutMs?: number
  /** First wait before retrying a failed server (doubling up to 5 s). Default 500 ms. */
  readonly retryMs?: number
  /** The spool of a remote backend (on disk under the run directory); in memory when not given. */
  readonly spoolFor?: (backend: string) => Effect.Effect<Spool>
  /**
   * On resume: steps up to these (per kind) were logged by an earlier attempt, so append-only
   * backends (servers, event files) skip them instead of recording them twice.
   */
  readonly resumeMarks?: ResumeMarks
  /** How notices reach the user; log warnings otherwise. */
  readonly notices?: Partial<Notices>
  /** Filled at finalization with each backend's delivered / spooled / dropped points. */
  readonly deliveries?: DeliveryLog
}

const localLane = (spec: SinkSpec, scope: Scope.Scope, notices: Notices): Effect.Effect<Lane> =>
  Effect.gen(function*() {
    const stats = newStats()
    let sink: Sink | undefined
    yield* guarded(spec.name, stats, notices, Effect.map(Scope.extend(spec.open, scope), (opened) => {
      sink = opened
    }))
    const use = (f: (s: Sink) => Effect.Effect<void, TrackerError>): Effect.Effect<void> =>
      Effect.suspend(() => sink === undefined ? Effect.void : guarded(spec.name, stats, notices, f(sink)))
    return {
      name: spec.name,
      accepts: new Set(spec.accepts),
      appendOnly: spec.appendOnly ?? false,
      stats,
      submit: (call) =>
        use((s) => s.write([call])).pipe(Effect.zipRight(Effect.sync(() => {
          stats.delivered += pointsOf(call)
        }))),
      flush: use((s) => s.flush),
      close: (status) => use((s) => Effect.zipRight(s.flush, s.close(status)))
    }
  })

/** One line per backend that failed, spooled or dropped data; empty when all went well. */
const summarise = (lanes: ReadonlyArray<Lane>): ReadonlyArray<string> =>
  lanes.flatMap((lane) => {
    const parts: Array<string> = []
    if (lane.stats.failed > 0) {
      parts.push(`${lane.stats.failed} failure(s), first: ${lane.stats.first ?? "unknown"}`)
    }
    if (lane.stats.spooled > 0) parts.push(`${lane.stats.spooled} point(s) spooled`)
    if (lane.stats.dropped > 0) parts.push(`${lane.stats.dropped} point(s) dropped`)
    return parts.length === 0 ? [] : [`${lane.name}: ${parts.join("; ")}`]
  })

/** Whether an earlier attempt already logged this call's step (only append-only backends skip it). */
const alreadyLogged = (marks: ResumeMarks | undefined, call: Call): boolean => {
  if (marks === undefined || call._tag === "params" || call._tag === "tags" || call._tag === "graph") return false
  const kind = call._tag === "metrics" ? call.kind : "epoch"
  const mark = marks[kind]
  return mark !== undefined && call.step <= mark
}

/**
 * A Tracker that sends every call to each backend. Local backends write in place; remote ones
 * sit behind a bounded queue served by their own fiber, with an on-disk spool for what the server
 * does not take. Finalizing the scope passes the run's status (from the scope's Exit) to every
 * backend, waiting at most `closeTimeoutMs` (`interruptedCloseTimeoutMs` after an interrupt).
 */
export const makeFanOut = (
  specs: ReadonlyArray<SinkSpec>,
  options: FanOutOptions = {}
): Effect.Effect<TrackerService, never, Scope.Scope> => {
  const capacity = Math.max(2, options.queueCapacity ?? 16_384)
  const notices: Notices = {
    note: options.notices?.note ?? ((line) => Effect.logWarning(line)),
    activity: options.notices?.activity ?? (() => Effect.void)
  }
  const retryMs = Math.max(1, options.retryMs ?? 500)
  return Effect.acquireRelease(
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const lanes = yield* Effect.forEach(specs, (spec) =>
        spec.remote
          ? Effect.flatMap(
            options.spoolFor?.(spec.name) ?? Effect.succeed(memorySpool(spec.name, 100_000)),
            (spool) => remoteLane(spec, scope, { capacity, retryMs, maxRetryMs: Math.max(retryMs, 5000), spool, notices })
          )
          : localLane(spec, scope, notices))
      return { scope, lanes }
    }),
    ({ lanes, scope }, exit) =>
      Effect.gen(function*() {
        const status = statusFromExit(exit)
        // the run's body (and its emergency checkpoint) is done once trackers are finalized
        yield* notices.activity("closing the trackers")
        const timeoutMs = status === "interrupted"
          ? options.interruptedCloseTimeoutMs ?? 2000
          : options.closeTimeoutMs ?? 15_000
        yield* Effect.forEach(lanes, (lane) => lane.close(status, timeoutMs), { concurrency: "unbounded", discard: true })
        yield* Scope.close(scope, Exit.void)
        if (options.deliveries !== undefined) {
          for (const lane of lanes) {
            const { delivered, spooled, dropped } = lane.stats
            options.deliveries[lane.name] = { delivered, spooled, dropped }
          }
        }
        const failures = summarise(lanes)
        if (failures.length > 0) yield* notices.note(`tracking problems:\n  ${failures.join("\n  ")}`)
        yield* notices.activity("finishing the run (checkpoint and tracking are done)")
      })
  ).pipe(Effect.map(({ lanes }): TrackerService => {
    const submit = (make: (time: number) => Call): Effect.Effect<void> =>
      Effect.flatMap(Clock.currentTimeMillis, (time) => {
        const call = make(time)
        const skip = alreadyLogged(options.resumeMarks, call)
        return Effect.forEach(
          lanes,
          (lane) => lane.accepts.has(call._tag) && !(skip && lane.appendOnly) ? lane.submit(call) : Effect.void,
          { discard: true }
        )
      })
    return {
      logParams: (params) => submit((time) => ({ _tag: "params", params, time })),
      setTags: (tags) => submit((time) => ({ _tag: "tags", tags, time })),
      logGraph: (spec) => submit((time) => ({ _tag: "graph", spec, time })),
      logMetrics: (metrics, step, kind) => submit((time) => ({ _tag: "metrics", metrics, step, kind, time })),
      logHistograms: (values, step) => submit((time) => ({ _tag: "histograms", values, step, time })),
      logText: (tag, text, step) => submit((time) => ({ _tag: "text", tag, text, step, time })),
      flush: Effect.forEach(lanes, (lane) => lane.flush, { discard: true }),
      failures: Effect.sync(() => summarise(lanes))
    }
  }))
}

/** The Tracker layer over the given backends. */
export const layerFromSpecs = (
  specs: ReadonlyArray<SinkSpec>,
  options: FanOutOptions = {}
): Layer.Layer<Tracker> => Layer.scoped(Tracker, makeFanOut(specs, options))
