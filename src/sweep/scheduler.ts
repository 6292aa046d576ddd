import { Console, Effect, Option } from "effect"
import { cell } from "../report/html.js"
import { finished, type TrialJob, type TrialRecord } from "./domain.js"
import type { SweepPlan } from "./loadSweep.js"
import { epochMetricOf, writeSweepReport } from "./report.js"
import { bestTrial, renderTable, stateCounts, trialRows } from "./results.js"
import { TrialStore } from "./TrialStore.js"

/** What a submission found in the store and what it starts. */
export interface Submission {
  readonly records: ReadonlyArray<TrialRecord>
  readonly todo: ReadonlyArray<TrialJob>
  /** Failed trials being tried again: their old queue job is replaced. */
  readonly retried: ReadonlySet<string>
}

/**
 * Register a sweep's trials in the store and choose the ones to start: not complete or pruned, and,
 * on a queue, not running (a worker has it; if that worker dies the queue hands it to another).
 * Failed trials are tried again. Says what it found.
 */
export const submitPlan = Effect.fn("Sweep.submit")(function*(plan: SweepPlan, mode: "local" | "queue") {
  const store = yield* TrialStore
  const records = yield* store.register(
    { id: plan.id, file: plan.file, experiment: plan.experiment, metric: plan.definition.metric, mode: plan.definition.mode, sweepDir: plan.sweepDir, trials: plan.jobs.length },
    plan.jobs.map((j) => j.trial)
  )
  const byId = new Map(records.map((r) => [r.id, r]))
  const skip = (r: TrialRecord | undefined) =>
    r !== undefined && (r.state === "complete" || r.state === "pruned" || (mode === "queue" && r.state === "running"))
  const todo = plan.jobs.filter((j) => !skip(byId.get(j.trial.id)))
  const retried = new Set(todo.filter((j) => byId.get(j.trial.id)?.state === "failed").map((j) => j.trial.id))
  for (const id of retried) yield* store.update(plan.id, id, { state: "waiting", error: null })
  const total = plan.jobs.length
  const mine = records.filter((r) => plan.jobs.some((j) => j.trial.id === r.id))
  const fresh = mine.every((r) => r.state === "waiting" && r.attempts === 0)
  const header = `sweep ${plan.id}: ${total} trials (${plan.definition.search.kind} search${fresh ? "" : `; ${stateCounts(mine)}`})`
  if (todo.length === 0) {
    const all = mine.every((r) => r.state === "complete")
    yield* Console.log(all ? `sweep ${plan.id}: ${total} trials already complete; nothing to start.` : `${header}; none to start.`)
  } else if (fresh) {
    yield* Console.log(header)
  } else {
    const queued = mode === "queue" ? "; a trial already on the queue is not queued twice" : ""
    yield* Console.log(`${header}; starting ${todo.length}${retried.size > 0 ? ` (${retried.size} failed before, tried again)` : ""}${queued}`)
  }
  return { records, todo, retried } satisfies Submission
})

const paramsText = (r: TrialRecord): string =>
  Object.entries(r.params).map(([p, v]) => `${p.split(".").at(-1)}=${typeof v === "number" ? cell(v) : String(v)}`).join(" ")

const describe = (plan: SweepPlan, r: TrialRecord): string => {
  switch (r.state) {
    case "complete":
      return `complete: ${plan.definition.metric} ${cell(r.metric)} after ${r.epochs} epochs${r.resumed ? " (resumed from a checkpoint)" : ""}`
    case "pruned":
      return `pruned at epoch ${r.epochs} (${epochMetricOf(plan)} ${cell(r.last)})`
    case "failed":
      return `failed: ${r.error ?? "unknown error"}`
    case "running":
      return `running${r.worker === null ? "" : ` on ${r.worker}`}${r.attempts > 1 ? ` (process ${r.attempts})` : ""}`
    case "waiting":
      return "waiting"
  }
}

/**
 * Print each trial's state changes until every trial of the plan is finished. `wait` returns when
 * something may have changed (a queue event, or a timer).
 */
export const followPlan = Effect.fn("Sweep.follow")(function*(plan: SweepPlan, wait: Effect.Effect<void>) {
  const store = yield* TrialStore
  const ids = new Set(plan.jobs.map((j) => j.trial.id))
  const seen = new Map<string, string>()
  for (;;) {
    const records = (yield* store.records(plan.id)).filter((r) => ids.has(r.id))
    const done = records.filter((r) => finished(r.state)).length
    for (const r of records) {
      const key = `${r.state}:${r.attempts}`
      if (seen.get(r.id) === key) continue
      seen.set(r.id, key)
      yield* Console.log(`[${done}/${ids.size}] ${r.id} ${paramsText(r)}: ${describe(plan, r)}`)
    }
    if (records.length === ids.size && done === ids.size) return records
    yield* wait
  }
})

/** The end of a sweep: the trial table, the best run directory, sweep.json and report.html. */
export const finishPlan = Effect.fn("Sweep.finish")(function*(plan: SweepPlan, wallSeconds: number | null) {
  const store = yield* TrialStore
  const ids = new Set(plan.jobs.map((j) => j.trial.id))
  const records = (yield* store.records(plan.id)).filter((r) => ids.has(r.id))
  const rungs = (yield* store.rungs(plan.id)).filter((r) => ids.has(r.trial))
  const { metric, mode } = plan.definition
  yield* Console.log(`\n${renderTable(trialRows(records, { metric, mode, epochMetric: epochMetricOf(plan) }))}`)
  const epochs = records.reduce((n, r) => n + r.epochs, 0)
  yield* Console.log(`\n${stateCounts(records)}; ${epochs} epochs trained${wallSeconds === null ? "" : ` in ${wallSeconds.toFixed(1)} s`}`)
  const best = bestTrial(records, mode)
  yield* Console.log(best === undefined ? "no trial completed" : `best: ${best.id} (${metric} ${cell(best.metric)}) ${best.run_dir ?? ""}`)
  const file = yield* writeSweepReport(plan, records, rungs, wallSeconds)
  yield* Console.log(`sweep: ${file} and report.html beside it`)
  return Option.fromNullable(best)
})
