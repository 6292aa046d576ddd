import { Cause, Chunk, Clock, Deferred, Effect, Exit, Layer, Queue, Schedule, Scope } from "effect"
import { type Call, describe, type Sink, type SinkSpec, type TrackerError } from "./Sink.js"
import { statusFromExit } from "./status.js"
import { Tracker, type RunStatus, type TrackerService } from "./Tracker.js"

/** Tuning of the fan-out; the defaults suit a training run. */
export interface FanOutOptions {
  /** Calls a remote backend may hold before the oldest are dropped (and counted). */
  readonly queueCapacity?: number
  /** How long finalization waits for a remote backend to send what it holds and close. */
  readonly closeTimeoutMs?: number
  /** Further attempts to open a remote backend (exponential backoff from 1 s) before giving up on it. */
  readonly openRetries?: number
}

interface Stats {
  failed: number
  first: string | undefined
  dropped: number
}

interface Lane {
  readonly name: string
  readonly accepts: ReadonlySet<Call["_tag"]>
  readonly stats: Stats
  readonly submit: (call: Call) => Effect.Effect<void>
  readonly flush: Effect.Effect<void>
  readonly close: (status: RunStatus) => Effect.Effect<void>
}

type Job =
  | { readonly _tag: "call"; readonly call: Call }
  | { readonly _tag: "flush" }
  | { readonly _tag: "close"; readonly status: RunStatus; readonly done: Deferred.Deferred<void> }

const recordFailure = (name: string, stats: Stats, reason: string): Effect.Effect<void> =>
  Effect.suspend(() => {
    stats.failed += 1
    if (stats.first !== undefined) return Effect.void
    stats.first = reason
    return Effect.logWarning(`tracking: ${name} failed: ${reason} (the run goes on; further failures are counted)`)
  })

/** Run a backend operation so that nothing but an interruption escapes: failures and defects are recorded. */
const guarded = (name: string, stats: Stats, effect: Effect.Effect<void, TrackerError>): Effect.Effect<void> =>
  effect.pipe(
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.interrupt
        : recordFailure(name, stats, describe(Cause.squash(cause)))
    )
  )

const newStats = (): Stats => ({ failed: 0, first: undefined, dropped: 0 })

const localLane = (spec: SinkSpec, scope: Scope.Scope): Effect.Effect<Lane> =>
  Effect.gen(function*() {
    const stats = newStats()
    let sink: Sink | undefined
    yield* guarded(spec.name, stats, Effect.map(Scope.extend(spec.open, scope), (opened) => {
      sink = opened
    }))
    const use = (f: (s: Sink) => Effect.Effect<void, TrackerError>): Effect.Effect<void> =>
      Effect.suspend(() => sink === undefined ? Effect.void : guarded(spec.name, stats, f(sink)))
    return {
      name: spec.name,
      accepts: new Set(spec.accepts),
      stats,
      submit: (call) => use((s) => s.write([call])),
      flush: use((s) => s.flush),
      close: (status) => use((s) => Effect.zipRight(s.flush, s.close(status)))
    }
  })

/** Histograms may be buffers the training loop reuses; a queued call must own its data. */
const owned = (call: Call): Call =>
  call._tag === "histograms"
    ? { ...call, values: Object.fromEntries(Object.entries(call.values).map(([k, v]) => [k, Float32Array.from(v)])) }
    : call

const remoteLane = (
  spec: SinkSpec,
  scope: Scope.Scope,
  options: { readonly capacity: number; readonly closeTimeoutMs: number; readonly openRetries: number }
): Effect.Effect<Lane> =>
  Effect.gen(function*() {
    const stats = newStats()
    const { capacity, closeTimeoutMs, openRetries } = options
    const queue = yield* Queue.bounded<Job>(capacity)
    // Calls the worker has taken but not yet delivered (reported if closing times out).
    let inFlight = 0
    const offer = (job: Job): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (queue.unsafeOffer(job)) return Effect.void
        // Full: drop the oldest job so the newest data (and the final close) always gets in.
        return Effect.flatMap(Queue.poll(queue), (dropped) => {
          if (dropped._tag === "Some") {
            const old = dropped.value
            if (old._tag === "close") return Deferred.succeed(old.done, undefined).pipe(Effect.zipRight(offer(job)))
            stats.dropped += 1
          }
          return offer(job)
        })
      })

    const worker = Effect.gen(function*() {
      let sink: Sink | undefined
      const open = Scope.extend(spec.open, scope).pipe(
        Effect.retry({ times: openRetries, schedule: Schedule.exponential("1 second") })
      )
      yield* guarded(spec.name, stats, Effect.map(open, (opened) => {
        sink = opened
      }))
      const write = (calls: ReadonlyArray<Call>): Effect.Effect<void> =>
        Effect.suspend(() => {
          if (sink === undefined || calls.length === 0) return Effect.void
          inFlight = calls.length
          return guarded(spec.name, stats, sink.write(calls)).pipe(Effect.ensuring(Effect.sync(() => {
            inFlight = 0
          })))
        })
      while (true) {
        const jobs = yield* Queue.takeBetween(queue, 1, 512)
        let batch: Array<Call> = []
        for (const job of jobs) {
          if (job._tag === "call") {
            batch.push(job.call)
            continue
          }
          yield* write(batch)
          batch = []
          if (job._tag === "flush") {
            if (sink !== undefined) yield* guarded(spec.name, stats, sink.flush)
            continue
          }
          if (sink !== undefined) {
            yield* guarded(spec.name, stats, Effect.zipRight(sink.flush, sink.close(job.status)))
          }
          yield* Deferred.succeed(job.done, undefined)
          return
        }
        yield* write(batch)
      }
    })
    // Forked while acquiring (uninterruptible): the worker itself must stay interruptible.
    yield* Effect.forkIn(Effect.interruptible(worker), scope)

    return {
      name: spec.name,
      accepts: new Set(spec.accepts),
      stats,
      submit: (call) => offer({ _tag: "call", call: owned(call) }),
      // A remote flush is requested, not awaited: the training loop never waits on the network.
      flush: offer({ _tag: "flush" }),
      close: (status) =>
        Effect.gen(function*() {
          const done = yield* Deferred.make<void>()
          yield* offer({ _tag: "close", status, done })
          // Finalizers run uninterruptibly; the wait must be interruptible for the timeout to win.
          const finished = yield* Effect.interruptible(Deferred.await(done)).pipe(
            Effect.timeout(closeTimeoutMs),
            Effect.option
          )
          if (finished._tag === "None") {
            const queued = yield* Queue.takeAll(queue)
            const unsent = inFlight + Chunk.reduce(queued, 0, (n, job) => n + (job._tag === "call" ? 1 : 0))
            yield* recordFailure(
              spec.name,
              stats,
              `did not finish within ${closeTimeoutMs / 1000}s; ${unsent} call(s) not sent`
            )
          }
        })
    }
  })

/** One line per backend that failed or dropped data; empty when all went well. */
const summarise = (lanes: ReadonlyArray<Lane>): ReadonlyArray<string> =>
  lanes.flatMap((lane) => {
    const parts: Array<string> = []
    if (lane.stats.failed > 0) {
      parts.push(`${lane.stats.failed} failure(s), first: ${lane.stats.first ?? "unknown"}`)
    }
    if (lane.stats.dropped > 0) parts.push(`${lane.stats.dropped} call(s) dropped (queue full)`)
    return parts.length === 0 ? [] : [`${lane.name}: ${parts.join("; ")}`]
  })

/**
 * A Tracker that sends every call to each backend. Local backends write in place; remote ones
 * sit behind a bounded drop-oldest queue served by their own fiber. Finalizing the scope passes
 * the run's status (from the scope's Exit) to every backend.
 */
export const makeFanOut = (
  specs: ReadonlyArray<SinkSpec>,
  options: FanOutOptions = {}
): Effect.Effect<TrackerService, never, Scope.Scope> => {
  const capacity = Math.max(2, options.queueCapacity ?? 2048)
  const remote = {
    capacity,
    closeTimeoutMs: options.closeTimeoutMs ?? 15_000,
    openRetries: Math.max(0, options.openRetries ?? 2)
  }
  return Effect.acquireRelease(
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const lanes = yield* Effect.forEach(specs, (spec) =>
        spec.remote ? remoteLane(spec, scope, remote) : localLane(spec, scope))
      return { scope, lanes }
    }),
    ({ lanes, scope }, exit) =>
      Effect.gen(function*() {
        const status = statusFromExit(exit)
        yield* Effect.forEach(lanes, (lane) => lane.close(status), { concurrency: "unbounded", discard: true })
        yield* Scope.close(scope, Exit.void)
        const failures = summarise(lanes)
        if (failures.length > 0) yield* Effect.logWarning(`tracking problems:\n  ${failures.join("\n  ")}`)
      })
  ).pipe(Effect.map(({ lanes }): TrackerService => {
    const submit = (make: (time: number) => Call): Effect.Effect<void> =>
      Effect.flatMap(Clock.currentTimeMillis, (time) => {
        const call = make(time)
        return Effect.forEach(lanes, (lane) => lane.accepts.has(call._tag) ? lane.submit(call) : Effect.void, {
          discard: true
        })
      })
    return {
      logParams: (params) => submit((time) => ({ _tag: "params", params, time })),
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
