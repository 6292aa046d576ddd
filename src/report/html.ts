import type { EvalReport } from "../evaluate/evaluate.js"
import { worstSeries } from "../evaluate/rank.js"
import { worstShown } from "../evaluate/table.js"
import { flatten, type RunSummary } from "../rundir/files.js"

/** An image embedded in the report. */
export interface ReportImage {
  readonly title: string
  readonly png: Uint8Array
}

const escapeHtml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** A table cell value: numbers to 4 significant digits, missing as an em dash. */
export const cell = (value: unknown): string => {
  if (value === null || value === undefined) return "—"
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return String(value)
    if (Number.isInteger(value)) return String(value)
    const abs = Math.abs(value)
    return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? value.toExponential(3) : String(Number(value.toPrecision(4)))
  }
  return typeof value === "string" ? value : JSON.stringify(value)
}

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<unknown>>): string =>
  `<table><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${
    rows.map((row) => `<tr>${row.map((v, i) => `<t${i === 0 ? "h" : "d"}>${escapeHtml(cell(v))}</t${i === 0 ? "h" : "d"}>`).join("")}</tr>`).join("")
  }</tbody></table>`

const metricOrder = ["rmse", "mae", "mse", "mape", "smape", "r2", "directional_accuracy"]

/** Rows = evaluated sets (val, test, baselines), columns = metrics present in any of them. */
const metricsTable = (summary: RunSummary): string => {
  const metrics = summary.metrics
  if (metrics === null) return ""
  const sets: Array<[string, Readonly<Record<string, number | null>>]> = []
  if (metrics.val !== undefined) sets.push(["validation (model)", metrics.val])
  if (metrics.test !== undefined) sets.push(["test (model)", metrics.test])
  for (const [name, set] of Object.entries(metrics.baselines["test"] ?? {})) sets.push([`test (${name.replace(/_/g, " ")})`, set])
  if (sets.length === 0) return ""
  const keys = [...new Set(sets.flatMap(([, s]) => Object.keys(s)))].sort((a, b) => {
    const ia = metricOrder.indexOf(a)
    const ib = metricOrder.indexOf(b)
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b)
  })
  return `<h2>Metrics</h2>${table(["", ...keys], sets.map(([name, s]) => [name, ...keys.map((k) => s[k])]))}`
}

/** For many series: the test macro and micro averages, and the worst series by MASE (or RMSE). */
const seriesTables = (evaluation: EvalReport | undefined): string => {
  const test = evaluation?.splits.test
  const series = test?.series ?? []
  if (test?.macro === undefined || test.micro === undefined || series.length < 2) return ""
  const averages = (["macro", "micro"] as const).flatMap((kind) => {
    const a = kind === "macro" ? test.macro! : test.micro!
    return ([["model", a.model], ["last value", a.baselines.last_value], ["seasonal naive", a.baselines.seasonal_naive]] as const).map((
      [name, m]
    ) => [`${kind} (${name})`, m.rmse, m.mae, m.mase, m.rmsse])
  })
  const worst = worstSeries(series, worstShown)
  return `<h2>Test averages over ${series.length} series</h2><p class="muted">macro: the mean over series; micro: pooled over every forecast, each scaled by its own series</p>${
    table(["", "rmse", "mae", "mase", "rmsse"], averages)
  }<h2>Worst ${worst.series.length} series by test ${worst.by.toUpperCase()}</h2>${
    table(
      ["series", "rmse", "mae", "mape", "mase", "rmsse", "skill vs seasonal naive", "forecasts"],
      worst.series.map((s) => [s.id, s.model.rmse, s.model.mae, s.model.mape, s.model.mase, s.model.rmsse, s.skill.vs_seasonal_naive, s.count])
    )
  }`
}

const keyValueTable = (title: string, values: Record<string, unknown>): string => {
  const entries = Object.entries(values)
  return entries.length === 0 ? "" : `<h2>${escapeHtml(title)}</h2>${table(["", "value"], entries)}`
}

const style = `body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:2rem auto;max-width:960px;color:#222}
table{border-collapse:collapse;margin:0.5rem 0 1.5rem}th,td{border:1px solid #ddd;padding:4px 10px;text-align:right}
thead th{background:#f4f4f4}tbody th{text-align:left;font-weight:normal}img{max-width:100%;border:1px solid #eee}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.5rem}.muted{color:#777}`

/** A self-contained HTML report: run facts, metrics, skill, per-series averages and worst series, hyperparameters and inline PNG plots. */
export const reportHtml = (input: {
  readonly runDir: string
  readonly summary: RunSummary | undefined
  /** eval.json, for the per-series tables of a run with many series. */
  readonly evaluation?: EvalReport | undefined
  readonly images: ReadonlyArray<ReportImage>
}): string => {
  const s = input.summary
  const title = s !== undefined ? `${s.experiment} / ${s.run}` : input.runDir
  const facts: Record<string, unknown> = s === undefined ? {} : {
    experiment: s.experiment,
    run: s.run,
    status: s.status,
    started: s.started_at,
    finished: s.finished_at,
    "duration (s)": s.duration_s,
    "best epoch": s.best_epoch,
    "epochs completed": s.epochs_completed,
    device: s.device,
    engine: s.engine
  }
  const present = Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined))
  const skill = s?.metrics == null ? {} : flatten(s.metrics.skill)
  const images = input.images.map((image) =>
    `<h2>${escapeHtml(image.title)}</h2><img alt="${escapeHtml(image.title)}" src="data:image/png;base64,${Buffer.from(image.png).toString("base64")}">`
  )
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${style}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
${s === undefined ? `<p class="muted">No summary.json yet: the run is running or incomplete.</p>` : ""}
${keyValueTable("Run", present)}
${s === undefined ? "" : metricsTable(s)}
${keyValueTable("Skill vs baselines", skill)}
${seriesTables(input.evaluation)}
${images.join("\n")}
${keyValueTable("Hyperparameters", s === undefined ? {} : flatten(s.hparams))}
</body></html>
`
}
