import { FileSystem, Path } from "@effect/platform"
import { Console, Duration, Effect, Queue, Runtime } from "effect"
import { hostname } from "node:os"
import { acquireQueue, acquireQueueEvents, acquireWorker, submitJobs, type WorkerOptions } from "./bullmq.js"
import type { SweepPlan } from "./loadSweep.js"
import { layerRedis } from "./redisStore.js"
import { runTrial, selfCommand } from "./runTrial.js"
import { finishPlan, followPlan, submitPlan } from "./scheduler.js"
import { TrialStore } from "./TrialStore.js"

/**
 * Submit a sweep's trials to the queue at `url` and, unless `detach`, follow them to the end and
 * write the sweep's report. Interrupting the follower leaves the trials to the workers.
 */
export const runOnQueue = Effect.fn("Sweep.queue")(function*(plan: SweepPlan, url: string, detach: boolean, statusHint: string) {
  const started = Date.now()
  yield* Effect.scoped(Effect.gen(function*() {
    const queue = yield* acquireQueue(url)
    const { todo, retried } = yield* submitPlan(plan, "queue")
    if (todo.length > 0) yield* submitJobs(queue, url, todo, retried)
    if (detach) {
      yield* Console.log(`submitted ${todo.length} trial(s) to ${url}; follow with: ${statusHint}`)
      return
    }
    const changed = yield* Queue.sliding<void>(1)
    yield* acquireQueueEvents(url, () => Queue.unsafeOffer(changed, undefined))
    // a queue event wakes the follower at once; the timer covers events missed while Redis restarts
    const wait = Queue.take(changed).pipe(Effect.timeout(Duration.seconds(1)), Effect.ignore)
    yield* followPlan(plan, wait).pipe(
      Effect.onInterrupt(() => Console.error(`\nstopped following; the sweep goes on on the workers. Follow again: ${statusHint}`))
    )
    yield* finishPlan(plan, (Date.now() - started) / 1000)
  }))
}, (effect, _plan, url) => Effect.provide(effect, layerRedis(url)))

/**
 * `pipeline worker`: take trials from the queue at `url`, `slots` at a time, each in its own
 * `pipeline run` process, until interrupted. Its trials stop with it and another worker continues
 * them from their last checkpoint once its lease expires.
 */
export const runWorker = Effect.fn("Sweep.worker")(function*(url: string, options: WorkerOptions) {
  const worker = `${hostname()}:${process.pid}`
  yield* Effect.scoped(Effect.gen(function*() {
    const runtime = yield* Effect.runtime<TrialStore | FileSystem.FileSystem | Path.Path>()
    const run = Runtime.runPromise(runtime)
    yield* acquireWorker(url, options, (job) =>
      run(Effect.gen(function*() {
        yield* Console.log(`${job.trial.id} (sweep ${job.sweep}): start`)
        const record = yield* runTrial(job, { command: selfCommand(), worker })
        yield* Console.log(`${job.trial.id}: ${record.state}${record.error === null ? "" : ` (${record.error})`}`)
        return record.state
      })))
    yield* Console.log(`worker ${worker}: ${options.slots} slot(s) on ${url}, lease ${options.leaseSeconds} s; Ctrl-C stops it`)
    return yield* Effect.never
  }))
}, (effect, url) => Effect.provide(effect, layerRedis(url)))
