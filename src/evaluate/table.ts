import type { Evaluation } from "./evaluate.js"

const fmt = (x: number): string => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(4)) : "-")

/** "39.3% lower" or "5.9% higher": a skill (1 − RMSE_model / RMSE_baseline) in words. */
export const skillWords = (skill: number): string =>
  !Number.isFinite(skill) ? "no comparable" : skill >= 0 ? `${(100 * skill).toFixed(1)}% lower` : `${(-100 * skill).toFixed(1)}% higher`

/** A small table of model vs baselines per split, in original units. */
export const metricsTable = (evaluation: Evaluation): string => {
  const lines: Array<string> = []
  for (const [split, report] of Object.entries(evaluation.report.splits)) {
    if (report === undefined) continue
    lines.push(`${split}:`)
    lines.push(`  ${"".padEnd(16)}${["rmse", "mae", "mape%", "smape%", "r2", "dir.acc"].map((h) => h.padStart(10)).join("")}`)
    const row = (name: string, m: typeof report.model) =>
      `  ${name.padEnd(16)}${[m.rmse, m.mae, m.mape, m.smape, m.r2, m.directional_accuracy].map((v) => fmt(v).padStart(10)).join("")}`
    lines.push(row("model", report.model))
    lines.push(row("last value", report.baselines.last_value))
    lines.push(row(`seasonal naive`, report.baselines.seasonal_naive))
    lines.push(
      `  skill: ${skillWords(report.skill.vs_seasonal_naive)} RMSE than seasonal naive (season ${evaluation.report.season}), ${
        skillWords(report.skill.vs_last_value)
      } than last value`
    )
  }
  return lines.join("\n")
}
