import { Effect, Either, Schema } from "effect"
import type { Job, Queue, QueueEvents, Worker } from "bullmq"
import { QueueError, TrialJob } from "./domain.js"
import { connectionOptions } from "./redis.js"

/** The BullMQ queue every sweep's trials go to (one Redis can serve many sweeps). */
export const queueName = "lstm-trials"

/**
 * A trial's job id: BullMQ silently ignores a job whose id already exists, which is exactly the
 * idempotency a re-submitted sweep needs (ids may not contain ':').
 */
export const jobIdOf = (job: TrialJob): string => `${job.sweep}.${job.trial.id}`

const bullmq = Effect.promise(() => import("bullmq"))

const queueError = (url: string, what: string) => (e: unknown) =>
  new QueueError({
    message: `queue ${url}: ${what}: ${e instanceof Error ? e.message : String(e)}`,
    fix: "check that redis-server is running and reachable at that address"
  })

/** The trial queue, closed with the scope. */
export const acquireQueue = (url: string) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const connection = yield* connectionOptions(url)
      const { Queue } = yield* bullmq
      const queue: Queue = new Queue(queueName, { connection })
      queue.on("error", () => {})
      yield* Effect.tryPromise({ try: () => queue.waitUntilReady(), catch: queueError(url, "connect") })
      return queue
    }),
    (queue) => Effect.promise(() => queue.close().catch(() => undefined))
  )

/**
 * Put trials on the queue. A trial whose job exists is left as it is (BullMQ ignores the duplicate
 * id), except the ones named in `replace` (failed trials being retried), whose old job is removed first.
 */
export const submitJobs = (queue: Queue, url: string, jobs: ReadonlyArray<TrialJob>, replace: ReadonlySet<string>) =>
  Effect.gen(function*() {
    for (const job of jobs) {
      if (replace.has(job.trial.id)) yield* Effect.tryPromise({ try: () => queue.remove(jobIdOf(job)), catch: queueError(url, "remove a finished job") })
    }
    yield* Effect.tryPromise({
      try: () =>
        queue.addBulk(jobs.map((job) => ({
          name: "trial",
          data: Schema.encodeSync(TrialJob)(job),
          // our trial runner retries failures itself; these attempts cover a worker losing Redis mid-job
          opts: { jobId: jobIdOf(job), attempts: 3, backoff: { type: "fixed", delay: 1000 }, removeOnComplete: false, removeOnFail: false }
        }))),
      catch: queueError(url, "submit trials")
    })
  })

/** Queue events (active, completed, failed) delivered to `onEvent`, closed with the scope. */
export const acquireQueueEvents = (url: string, onEvent: (event: string, jobId: string) => void) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const connection = yield* connectionOptions(url)
      const { QueueEvents } = yield* bullmq
      const events: QueueEvents = new QueueEvents(queueName, { connection })
      events.on("error", () => {})
      events.on("active", (e: { jobId: string }) => onEvent("active", e.jobId))
      events.on("completed", (e: { jobId: string }) => onEvent("completed", e.jobId))
      events.on("failed", (e: { jobId: string }) => onEvent("failed", e.jobId))
      events.on("stalled", (e: { jobId: string }) => onEvent("stalled", e.jobId))
      yield* Effect.tryPromise({ try: () => events.waitUntilReady(), catch: queueError(url, "listen to events") })
      return events
    }),
    (events) => Effect.promise(() => events.close().catch(() => undefined))
  )

/** How a worker takes trials. */
export interface WorkerOptions {
  readonly slots: number
  /** Seconds a job's lock lasts without renewal: how soon another worker takes over a dead one's trial. */
  readonly leaseSeconds: number
  /** How often a trial may be taken over (its worker died or was preempted) before it fails. */
  readonly maxStalls: number
}

/**
 * A BullMQ worker running `process` for each trial job (job data decoded by the TrialJob schema),
 * closed with the scope without waiting for its jobs: their trials stop with this process (their
 * lifeline) and are taken over by another worker when the lease expires.
 */
export const acquireWorker = (url: string, options: WorkerOptions, process: (job: TrialJob) => Promise<unknown>) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const connection = yield* connectionOptions(url)
      const { Worker } = yield* bullmq
      const worker: Worker = new Worker(
        queueName,
        async (job: Job) => {
          const decoded = Schema.decodeUnknownEither(TrialJob)(job.data)
          if (Either.isLeft(decoded)) throw new Error(`job ${job.id} is not a trial job: ${decoded.left.message.split("\n")[0]}`)
          return process(decoded.right)
        },
        {
          connection,
          concurrency: options.slots,
          lockDuration: options.leaseSeconds * 1000,
          stalledInterval: Math.max(1000, Math.round(options.leaseSeconds * 500)),
          maxStalledCount: options.maxStalls,
          autorun: true
        }
      )
      worker.on("error", () => {})
      yield* Effect.tryPromise({ try: () => worker.waitUntilReady(), catch: queueError(url, "start the worker") })
      return worker
    }),
    (worker) => Effect.promise(() => worker.close(true).catch(() => undefined))
  )
