import { cell } from "../report/html.js"
import type { ParamValue, RungRecord, TrialRecord, TrialState } from "./domain.js"

const stateOrder: Readonly<Record<TrialState, number>> = { complete: 0, pruned: 1, running: 2, waiting: 3, failed: 4 }

/**
 * Trials best first: complete ones by the sweep metric, then pruned ones by their last per-epoch
 * metric, then running, waiting and failed ones.
 */
export const sortTrials = (records: ReadonlyArray<TrialRecord>, mode: "min" | "max"): ReadonlyArray<TrialRecord> => {
  const sign = mode === "min" ? 1 : -1
  const score = (r: TrialRecord) => {
    const v = r.state === "complete" ? r.metric : r.last
    return v === null || !Number.isFinite(v) ? Infinity : sign * v
  }
  return [...records].sort((a, b) => stateOrder[a.state] - stateOrder[b.state] || score(a) - score(b) || a.id.localeCompare(b.id))
}

/** The parameter paths whose values differ between trials, in first-seen order. */
export const differingParams = (records: ReadonlyArray<TrialRecord>): ReadonlyArray<string> => {
  const values = new Map<string, Set<string>>()
  for (const r of records) {
    for (const [p, v] of Object.entries(r.params)) {
      const seen = values.get(p) ?? new Set<string>()
      seen.add(JSON.stringify(v))
      values.set(p, seen)
    }
  }
  return [...values.entries()].filter(([, s]) => s.size > 1).map(([p]) => p)
}

/** The best complete trial, if any. */
export const bestTrial = (records: ReadonlyArray<TrialRecord>, mode: "min" | "max"): TrialRecord | undefined =>
  sortTrials(records, mode).find((r) => r.state === "complete" && r.metric !== null)

const showParam = (v: ParamValue | undefined): string => (v === undefined ? "—" : typeof v === "number" ? cell(v) : String(v))

/** The rows of the trial table: header first; the same cells in the terminal and in report.html. */
export const trialRows = (
  records: ReadonlyArray<TrialRecord>,
  options: { readonly metric: string; readonly mode: "min" | "max"; readonly epochMetric: string }
): ReadonlyArray<ReadonlyArray<string>> => {
  const params = differingParams(records)
  return [
    ["trial", "state", "epochs", options.metric, `last ${options.epochMetric}`, ...params, "note"],
    ...sortTrials(records, options.mode).map((r) => [
      r.id,
      r.state,
      String(r.epochs),
      cell(r.metric),
      cell(r.last),
      ...params.map((p) => showParam(r.params[p])),
      r.state === "failed" ? (r.error ?? "") : r.resumed ? `resumed (${r.attempts} processes)` : ""
    ])
  ]
}

/** Rows as an aligned plain-text table. */
export const renderTable = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)))
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n")
}

/** Counts of trials per state, as "3 complete, 1 pruned". */
export const stateCounts = (records: ReadonlyArray<TrialRecord>): string => {
  const counts = new Map<TrialState, number>()
  for (const r of records) counts.set(r.state, (counts.get(r.state) ?? 0) + 1)
  return (["complete", "pruned", "running", "waiting", "failed"] as const).flatMap((s) => (counts.has(s) ? [`${counts.get(s)} ${s}`] : [])).join(", ")
}

/** What sweep.json holds: the sweep, its best trial and every trial and rung record. */
export const sweepJson = (input: {
  readonly id: string
  readonly file: string
  readonly experiment: string
  readonly metric: string
  readonly mode: "min" | "max"
  readonly search: unknown
  readonly records: ReadonlyArray<TrialRecord>
  readonly rungs: ReadonlyArray<RungRecord>
  readonly wallSeconds: number | null
}): string => {
  const best = bestTrial(input.records, input.mode)
  const epochs = input.records.reduce((n, r) => n + r.epochs, 0)
  return JSON.stringify(
    {
      id: input.id,
      file: input.file,
      experiment: input.experiment,
      metric: input.metric,
      mode: input.mode,
      search: input.search,
      finished_at: new Date().toISOString(),
      wall_seconds: input.wallSeconds,
      epochs_run: epochs,
      best: best === undefined ? null : { trial: best.id, run_dir: best.run_dir, metric: best.metric, params: best.params },
      trials: sortTrials(input.records, input.mode),
      rungs: input.rungs
    },
    null,
    2
  ) + "\n"
}
