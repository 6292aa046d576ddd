import { Cause, Chunk, Clock, Deferred, Effect, Fiber, Option, Queue, Scope } from "effect"
import { guarded, type Lane, newStats, type Notices, recordFailure } from "./lane.js"
import { type Call, describe, pointsOf, type Sink, type SinkSpec, TrackerError } from "./Sink.js"
import { type Spool, type SpoolEntry, spooledPoints } from "./Spool.js"
import type { RunStatus } from "./Tracker.js"

/** How a remote backend is served. */
export interface RemoteOptions {
  /** Calls it may hold in memory before the oldest are dropped (and counted). */
  readonly capacity: number
  /** First wait before retrying a server that failed; doubles up to `maxRetryMs`. */
  readonly retryMs: number
  readonly maxRetryMs: number
  /** Where undelivered calls wait for the server. */
  readonly spool: Spool
  readonly notices: Notices
}

type Job =
  | { readonly _tag: "call"; readonly call: Call }
  | { readonly _tag: "flush" }
  | { readonly _tag: "close"; readonly status: RunStatus; readonly done: Deferred.Deferred<void> }

/** Histograms may be buffers the training loop reuses; a queued call must own its data. */
const owned = (call: Call): Call =>
  call._tag === "histograms"
    ? { ...call, values: Object.fromEntries(Object.entries(call.values).map(([k, v]) => [k, Float32Array.from(v)])) }
    : call

const pointsIn = (calls: ReadonlyArray<Call>): number => calls.reduce((n, c) => n + pointsOf(c), 0)

/**
 * A remote backend behind a bounded drop-oldest queue, served by its own fiber. What the server
 * does not take (unreachable, timing out, 5xx) goes to the spool, in order, and is replayed with
 * backoff while the run goes on; once the spool holds anything, new calls queue behind it so the
 * server sees every point once and in order. A final status that cannot be sent is spooled too.
 */
export const remoteLane = (spec: SinkSpec, scope: Scope.Scope, options: RemoteOptions): Effect.Effect<Lane> =>
  Effect.gen(function*() {
    const stats = newStats()
    const { spool, notices } = options
    const queue = yield* Queue.bounded<Job>(options.capacity)
    // points queued or in a request, not yet delivered or spooled
    let pending = 0
    let closed = false
    let spoolFullWarned = false

    if (spool.size() > 0) {
      // an earlier attempt's final status is not replayed: this run continues it (`runs sync` reads it first)
      const kept = yield* spool.entries.pipe(Effect.orElseSucceed((): ReadonlyArray<SpoolEntry> => []))
      yield* spool.replace(kept.filter((e) => e._tag === "calls")).pipe(Effect.ignore)
    }

    const toSpool = (entries: ReadonlyArray<SpoolEntry>): Effect.Effect<void> =>
      Effect.gen(function*() {
        const points = spooledPoints(entries)
        const stored = yield* Effect.either(spool.append(entries))
        if (stored._tag === "Right" && stored.right) return
        stats.dropped += points
        if (stored._tag === "Left") return yield* recordFailure(spec.name, stats, describe(stored.left), notices)
        if (spoolFullWarned) return
        spoolFullWarned = true
        yield* notices.note(`tracking: ${spec.name}: the spool ${spool.file} is full; further undelivered points are dropped (and counted)`)
      })

    const offer = (job: Job): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (queue.unsafeOffer(job)) return Effect.void
        // full: drop the oldest job so the newest data (and the final close) always gets in
        return Effect.flatMap(Queue.poll(queue), (dropped) => {
          if (dropped._tag === "Some") {
            const old = dropped.value
            if (old._tag === "close") return Deferred.succeed(old.done, undefined).pipe(Effect.zipRight(offer(job)))
            if (old._tag === "call") {
              const points = pointsOf(old.call)
              stats.dropped += points
              pending -= points
            }
          }
          return offer(job)
        })
      })

    let sink: Sink | undefined
    let dead = false
    let inOutage = false
    let retryAt = 0
    let delay = options.retryMs

    const outage = (error: TrackerError): Effect.Effect<void> =>
      Effect.gen(function*() {
        retryAt = (yield* Clock.currentTimeMillis) + delay
        delay = Math.min(delay * 2, options.maxRetryMs)
        if (inOutage) return
        inOutage = true
        // one failure per outage, not per attempt
        yield* recordFailure(spec.name, stats, `${error.reason} (points are spooled and sent when it answers)`, notices)
      })
    const healthy = Effect.sync(() => {
      inOutage = false
      delay = options.retryMs
    })

    const open: Effect.Effect<boolean> = Effect.suspend(() => {
      if (sink !== undefined) return Effect.succeed(true)
      if (dead) return Effect.succeed(false)
      return Scope.extend(spec.open, scope).pipe(
        Effect.tap((opened) => Effect.zipRight(Effect.sync(() => (sink = opened)), healthy)),
        Effect.as(true),
        Effect.catchAllCause((cause) => {
          if (Cause.isInterruptedOnly(cause)) return Effect.interrupt
          const error = Cause.squash(cause)
          if (error instanceof TrackerError && error.retriable === true) return Effect.as(outage(error), false)
          dead = true
          return Effect.as(recordFailure(spec.name, stats, describe(error), notices), false)
        })
      )
    })

    /** Send calls; what the server did not take is returned (already counted as not delivered). */
    const send = (target: Sink, calls: ReadonlyArray<Call>): Effect.Effect<ReadonlyArray<Call>> =>
      target.write(calls).pipe(
        Effect.zipRight(Effect.sync(() => {
          stats.delivered += pointsIn(calls)
        })),
        Effect.zipRight(healthy),
        Effect.as<ReadonlyArray<Call>>([]),
        Effect.catchAllCause((cause): Effect.Effect<ReadonlyArray<Call>> => {
          if (Cause.isInterruptedOnly(cause)) return Effect.interrupt
          const error = Cause.squash(cause)
          if (error instanceof TrackerError && error.retriable === true) {
            const unsent = Math.min(calls.length, Math.max(0, error.unsent ?? calls.length))
            const sent = calls.slice(0, calls.length - unsent)
            stats.delivered += pointsIn(sent)
            return Effect.as(outage(error), calls.slice(calls.length - unsent))
          }
          // the server refused them: sending again would not help
          stats.dropped += pointsIn(calls)
          return Effect.as(recordFailure(spec.name, stats, describe(error), notices), [])
        })
      )

    /** Deliver a batch, or spool it behind what is already waiting. */
    const deliver = (calls: ReadonlyArray<Call>): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (calls.length === 0) return
        const points = pointsIn(calls)
        // an interruption (closing timed out) mid-request keeps the calls: MLflow and W&B take a repeat as the same point
        yield* Effect.gen(function*() {
          if (dead) {
            stats.dropped += points
            return
          }
          if (sink === undefined || spool.size() > 0) return yield* toSpool([{ _tag: "calls", calls }])
          const left = yield* send(sink, calls)
          if (left.length > 0) yield* toSpool([{ _tag: "calls", calls: left }])
        }).pipe(
          Effect.onInterrupt(() => toSpool([{ _tag: "calls", calls }])),
          Effect.ensuring(Effect.sync(() => {
            pending -= points
          }))
        )
      })

    /** Replay the spool in order; true when it is empty afterwards. */
    const replay: Effect.Effect<boolean> = Effect.gen(function*() {
      if (spool.size() === 0) return true
      if (!(yield* open) || sink === undefined) return false
      const target = sink
      const entries = yield* spool.entries.pipe(Effect.orElseSucceed((): ReadonlyArray<SpoolEntry> => []))
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!
        if (entry._tag === "close") continue
        const left = yield* send(target, entry.calls).pipe(
          Effect.onInterrupt(() => spool.replace(entries.slice(i)).pipe(Effect.ignore))
        )
        if (left.length > 0) {
          yield* spool.replace([{ _tag: "calls", calls: left }, ...entries.slice(i + 1)]).pipe(Effect.ignore)
          return false
        }
      }
      yield* spool.replace([]).pipe(Effect.ignore)
      return true
    })

    const waiting = () => !dead && (sink === undefined || spool.size() > 0)

    const finish = (status: RunStatus): Effect.Effect<void> =>
      Effect.gen(function*() {
        const empty = yield* replay
        if (!empty || sink === undefined) {
          if (!dead) yield* toSpool([{ _tag: "close", status, time: yield* Clock.currentTimeMillis }])
          return
        }
        const target = sink
        const result = yield* Effect.exit(Effect.zipRight(target.flush, target.close(status)))
        if (result._tag === "Success") {
          closed = true
          return
        }
        if (Cause.isInterruptedOnly(result.cause)) return yield* Effect.interrupt
        const error = Cause.squash(result.cause)
        if (error instanceof TrackerError && error.retriable === true) {
          yield* outage(error)
          yield* toSpool([{ _tag: "close", status, time: yield* Clock.currentTimeMillis }])
          return
        }
        closed = true
        yield* recordFailure(spec.name, stats, describe(error), notices)
      })

    const worker = Effect.gen(function*() {
      yield* open
      while (true) {
        let jobs: ReadonlyArray<Job>
        if (waiting()) {
          const wait = Math.max(0, retryAt - (yield* Clock.currentTimeMillis))
          const taken = yield* Queue.takeBetween(queue, 1, 512).pipe(Effect.timeout(wait), Effect.option)
          jobs = Option.match(taken, { onNone: () => [], onSome: Chunk.toReadonlyArray })
        } else {
          jobs = Chunk.toReadonlyArray(yield* Queue.takeBetween(queue, 1, 512))
        }
        let batch: Array<Call> = []
        for (const job of jobs) {
          if (job._tag === "call") {
            batch.push(job.call)
            continue
          }
          yield* deliver(batch)
          batch = []
          if (job._tag === "flush") {
            if (sink !== undefined && spool.size() === 0) yield* guarded(spec.name, stats, notices, sink.flush)
            continue
          }
          yield* finish(job.status)
          yield* Deferred.succeed(job.done, undefined)
          return
        }
        yield* deliver(batch)
        if (waiting() && (yield* Clock.currentTimeMillis) >= retryAt) {
          if (sink === undefined) yield* open
          else yield* replay
        }
      }
    })
    // forked while acquiring (uninterruptible): the worker itself must stay interruptible
    const fiber = yield* Effect.forkIn(Effect.interruptible(worker), scope)

    const close = (status: RunStatus, timeoutMs: number): Effect.Effect<void> =>
      Effect.gen(function*() {
        const done = yield* Deferred.make<void>()
        yield* offer({ _tag: "close", status, done })
        const held = pending + spooledPoints(yield* spool.entries.pipe(Effect.orElseSucceed(() => [])))
        if (held > 0) {
          yield* notices.activity(`sending ${held} tracking point(s) to ${spec.name} (at most ${timeoutMs / 1000} s)`)
          if (status === "interrupted") yield* notices.note(`tracking: waiting for ${spec.name} to take ${held} point(s) (at most ${timeoutMs / 1000} s)…`)
        }
        // finalizers run uninterruptibly; the wait must be interruptible for the timeout to win
        const finished = yield* Effect.interruptible(Deferred.await(done)).pipe(Effect.timeout(timeoutMs), Effect.option)
        if (finished._tag === "None") {
          yield* Fiber.interrupt(fiber)
          const left = Chunk.toReadonlyArray(yield* Queue.takeAll(queue)).flatMap((job) => (job._tag === "call" ? [job.call] : []))
          if (left.length > 0) yield* toSpool([{ _tag: "calls", calls: left }])
          if (!closed && !dead) yield* toSpool([{ _tag: "close", status, time: yield* Clock.currentTimeMillis }])
          // counted, not announced: the line below says what it means for the points
          stats.failed += 1
          stats.first ??= `did not finish within ${timeoutMs / 1000}s`
        }
        stats.spooled = spooledPoints(yield* spool.entries.pipe(Effect.orElseSucceed(() => [])))
        if (stats.spooled > 0 || spool.size() > 0) {
          yield* notices.note(
            `tracking: ${spec.name}: ${stats.spooled} point(s) not delivered${closed ? "" : " and the final status not sent"}; ` +
              `kept in ${spool.file}, sent on --resume or by \`pipeline runs sync <run-dir>\``
          )
        }
        yield* notices.activity("closing the trackers")
      })

    return {
      name: spec.name,
      accepts: new Set(spec.accepts),
      appendOnly: spec.appendOnly ?? false,
      stats,
      submit: (call) =>
        Effect.suspend(() => {
          pending += pointsOf(call)
          return offer({ _tag: "call", call: owned(call) })
        }),
      // a remote flush is requested, not awaited: the training loop never waits on the network
      flush: offer({ _tag: "flush" }),
      close
    }
  })
