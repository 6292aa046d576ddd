import { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import { writeFileAtomic } from "../fs/atomic.js"
import { renderPng } from "../report/render.js"
import type { RungRecord, TrialRecord } from "./domain.js"
import type { SweepPlan } from "./loadSweep.js"
import { metricSpec, rungSpec } from "./plot.js"
import { sweepJson, trialRows } from "./results.js"

const escapeHtml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const table = (rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  `<table><thead><tr>${rows[0]!.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${
    rows.slice(1).map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("")
  }</tbody></table>`

/** The per-epoch metric ASHA compares, or val_loss when the sweep does not prune. */
export const epochMetricOf = (plan: SweepPlan): string => plan.definition.search.metric

/**
 * Write the sweep's directory: sweep.json (every trial and rung), sweep.png (metric vs each
 * parameter), rungs.png under ASHA, and report.html with the table and the plots. Returns sweep.json's path.
 */
export const writeSweepReport = Effect.fn("Sweep.report")(function*(
  plan: SweepPlan,
  records: ReadonlyArray<TrialRecord>,
  rungs: ReadonlyArray<RungRecord>,
  wallSeconds: number | null
) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const dir = plan.sweepDir
  yield* fs.makeDirectory(dir, { recursive: true }).pipe(Effect.orDie)
  const file = path.join(dir, "sweep.json")
  const { metric, mode, search } = plan.definition
  yield* writeFileAtomic(file, sweepJson({ id: plan.id, file: plan.file, experiment: plan.experiment, metric, mode, search, records, rungs, wallSeconds }))
  const images: Array<{ title: string; name: string; png: Uint8Array }> = []
  images.push({ title: `${metric} vs each parameter`, name: "sweep.png", png: yield* renderPng("sweep.png", metricSpec(records, plan.space, metric)) })
  if (search.kind === "asha" && rungs.length > 0) {
    images.push({ title: "ASHA rungs", name: "rungs.png", png: yield* renderPng("rungs.png", rungSpec(rungs, records, search.metric)) })
  }
  for (const image of images) yield* writeFileAtomic(path.join(dir, image.name), image.png)
  const rows = trialRows(records, { metric, mode, epochMetric: epochMetricOf(plan) })
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>sweep ${escapeHtml(plan.id)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}img{max-width:100%}</style></head>
<body><h1>Sweep ${escapeHtml(plan.id)}</h1>
<p>${escapeHtml(plan.file)} · experiment ${escapeHtml(plan.experiment)} · search ${escapeHtml(search.kind)} · ${escapeHtml(metric)} (${mode})${wallSeconds === null ? "" : ` · ${wallSeconds.toFixed(1)} s`}</p>
${table(rows)}
${images.map((i) => `<h2>${escapeHtml(i.title)}</h2><img alt="${escapeHtml(i.title)}" src="data:image/png;base64,${Buffer.from(i.png).toString("base64")}">`).join("\n")}
</body></html>
`
  yield* writeFileAtomic(path.join(dir, "report.html"), html)
  return file
})
