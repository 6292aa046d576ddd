import { Duration, Effect } from "effect"
import type { SweepPlan } from "./loadSweep.js"
import { runTrial, type TrialRunnerOptions } from "./runTrial.js"
import { finishPlan, followPlan, submitPlan } from "./scheduler.js"
import { layerFile, TrialStore } from "./TrialStore.js"

/** Trials running at once by default: the cores divided by each trial's engine threads. */
export const defaultParallel = (cores: number, threadsPerTrial: number): number =>
  threadsPerTrial === 0 ? 1 : Math.max(1, Math.floor(cores / threadsPerTrial))

/**
 * A sweep on this machine: the same submission, trial runner and follower as on a queue, over an
 * in-process queue of `parallel` slots; trial states in `<sweepDir>/trials.json`. A trial that
 * fails is recorded as failed and the sweep goes on.
 */
export const runLocal = Effect.fn("Sweep.local")(function*(plan: SweepPlan, parallel: number, runner: TrialRunnerOptions) {
  const started = Date.now()
  return yield* Effect.gen(function*() {
    const store = yield* TrialStore
    const { todo } = yield* submitPlan(plan, "local")
    const pool = Effect.forEach(
      todo,
      (job) => runTrial(job, runner).pipe(Effect.catchAll((e) => store.update(plan.id, job.trial.id, { state: "failed", error: e.message }))),
      { concurrency: parallel, discard: true }
    )
    yield* Effect.all([pool, followPlan(plan, Effect.sleep(Duration.millis(300)))], { concurrency: 2, discard: true })
    return yield* finishPlan(plan, (Date.now() - started) / 1000)
  }).pipe(Effect.provide(layerFile(plan.sweepDir)))
})
