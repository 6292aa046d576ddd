import type { Flat, RunEntry } from "./listRuns.js"
import { formatValue, renderTable } from "./table.js"

/** Runs side by side: sorted, with the hyperparameters that tell them apart and their metrics. */
export interface Comparison {
  readonly runs: ReadonlyArray<RunEntry>
  /** The sort key as given (`test.rmse`, `-test.r2`, `train.learning_rate`, ...). */
  readonly sort: string
  /** Hyperparameter paths whose values are not the same in every run. */
  readonly differing: ReadonlyArray<string>
  /** Metric paths present in at least one run, most telling first. */
  readonly metrics: ReadonlyArray<string>
}

const metricOrder = ["rmse", "mae", "mse", "mape", "smape", "r2", "directional_accuracy", "loss"]
const splitOrder = ["test", "val"]

const rank = (key: string): [number, number, string] => {
  const [split = "", name = ""] = key.split(".")
  const s = splitOrder.indexOf(split)
  const m = metricOrder.indexOf(name)
  return [s < 0 ? splitOrder.length : s, m < 0 ? metricOrder.length : m, key]
}

const byRank = (a: string, b: string): number => {
  const [sa, ma, ka] = rank(a)
  const [sb, mb, kb] = rank(b)
  return sa - sb || ma - mb || ka.localeCompare(kb)
}

/** The value a sort key names: a metric, else a hyperparameter, else a run field. */
export const sortValue = (run: RunEntry, key: string): Flat | undefined => {
  if (key in run.metrics) return run.metrics[key] ?? null
  if (key in run.hparams) return run.hparams[key] ?? null
  switch (key) {
    case "run":
      return run.run
    case "status":
      return run.status
    case "started":
    case "started_at":
      return run.startedAt ?? null
    case "duration":
    case "duration_s":
      return run.durationS ?? null
    case "epochs":
      return run.epochsCompleted ?? null
    default:
      return undefined
  }
}

const compareValues = (a: Flat | undefined, b: Flat | undefined): number => {
  const missingA = a === undefined || a === null || (typeof a === "number" && Number.isNaN(a))
  const missingB = b === undefined || b === null || (typeof b === "number" && Number.isNaN(b))
  if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1
  if (typeof a === "number" && typeof b === "number") return a - b
  return String(a).localeCompare(String(b))
}

const same = (a: Flat | undefined, b: Flat | undefined): boolean => a === b || (a === undefined && b === null) || (a === null && b === undefined)

/**
 * Compare runs: sorted by `sort` (ascending; prefix `-` for descending; runs missing the value
 * last), the hyperparameters that differ, and every `test.*`/`val.*` metric.
 */
export const compareRuns = (runs: ReadonlyArray<RunEntry>, options: { readonly sort?: string } = {}): Comparison => {
  const sort = options.sort ?? "test.rmse"
  const descending = sort.startsWith("-")
  const key = descending ? sort.slice(1) : sort
  const sorted = runs
    .map((run, index) => ({ run, index }))
    .sort((a, b) => {
      const va = sortValue(a.run, key)
      const vb = sortValue(b.run, key)
      const missing = (v: Flat | undefined) => v === undefined || v === null
      if (missing(va) !== missing(vb)) return missing(va) ? 1 : -1
      return (descending ? -compareValues(va, vb) : compareValues(va, vb)) || a.index - b.index
    })
    .map(({ run }) => run)
  const keys = [...new Set(sorted.flatMap((r) => Object.keys(r.hparams)))].sort()
  const differing = sorted.length < 2
    ? []
    : keys.filter((k) => sorted.some((r) => !same(r.hparams[k], sorted[0]!.hparams[k])))
      .filter((k) => k !== "run_name" && !k.endsWith(".run_name"))
  const metrics = [...new Set(sorted.flatMap((r) => Object.keys(r.metrics)))]
    .filter((k) => k.startsWith("test.") || k.startsWith("val."))
    .sort(byRank)
  return { runs: sorted, sort, differing, metrics }
}

/** Lower is better for errors and losses, higher for r2 and directional accuracy. */
const higherIsBetter = (metric: string): boolean => /(^|\.)(r2|directional_accuracy)$/.test(metric)

/** The comparison as text: one column per run; `*` marks the best value of each metric. */
export const renderComparison = (comparison: Comparison): string => {
  const { runs } = comparison
  if (runs.length === 0) return "no runs to compare"
  const header = ["", ...runs.map((r) => r.run)]
  const rows: Array<Array<string>> = [
    ["experiment", ...runs.map((r) => r.experiment)],
    ["status", ...runs.map((r) => r.status)],
    ["epochs", ...runs.map((r) => formatValue(r.epochsCompleted))],
    ["best epoch", ...runs.map((r) => formatValue(r.bestEpoch))]
  ]
  for (const key of comparison.differing) rows.push([key, ...runs.map((r) => formatValue(r.hparams[key]))])
  for (const metric of comparison.metrics) {
    const values = runs.map((r) => r.metrics[metric])
    const finite = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v))
    const best = finite.length < 2 ? undefined : higherIsBetter(metric) ? Math.max(...finite) : Math.min(...finite)
    rows.push([metric, ...values.map((v) => formatValue(v) + (v === best ? "*" : ""))])
  }
  const note = comparison.differing.length === 0 && runs.length > 1 ? "\n(all hyperparameters are the same)" : ""
  return `${renderTable(header, rows)}\nsorted by ${comparison.sort}; * = best${note}`
}

/** `runs ls`: one row per run. */
export const renderRunList = (runs: ReadonlyArray<RunEntry>): string => {
  if (runs.length === 0) return "no runs"
  const header = ["experiment", "run", "status", "epochs", "best", "val.loss", "val.rmse", "test.rmse", "test.mae", "duration_s", "started"]
  const rows = runs.map((r) => [
    r.experiment,
    r.run,
    r.status,
    formatValue(r.epochsCompleted),
    formatValue(r.bestEpoch),
    formatValue(r.metrics["val.loss"]),
    formatValue(r.metrics["val.rmse"]),
    formatValue(r.metrics["test.rmse"]),
    formatValue(r.metrics["test.mae"]),
    formatValue(r.durationS === undefined ? undefined : Math.round(r.durationS * 10) / 10),
    r.startedAt ?? "—"
  ])
  const problems = runs.flatMap((r) => (r.problem === undefined ? [] : [`  ${r.experiment}/${r.run}: ${r.problem}`]))
  return renderTable(header, rows) + (problems.length > 0 ? `\nunreadable:\n${problems.join("\n")}` : "")
}
