import type { Averages, StepReport } from "./breakdown.js"
import type { Evaluation, SplitReport } from "./evaluate.js"
import { worstSeries } from "./rank.js"

const fmt = (x: number): string => (Number.isFinite(x) ? (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(4)) : "-")

/** "39.3% lower" or "5.9% higher": a skill (1 − RMSE_model / RMSE_baseline) in words. */
export const skillWords = (skill: number): string =>
  !Number.isFinite(skill) ? "no comparable" : skill >= 0 ? `${(100 * skill).toFixed(1)}% lower` : `${(-100 * skill).toFixed(1)}% higher`

/** How many of the worst series the terminal lists. */
export const worstShown = 5

const header = (names: ReadonlyArray<string>, width = 16) => `  ${"".padEnd(width)}${names.map((h) => h.padStart(10)).join("")}`
const numbers = (name: string, values: ReadonlyArray<number>, width = 16) => `  ${name.padEnd(width)}${values.map((v) => fmt(v).padStart(10)).join("")}`

/** Shorten a series id to `width` characters for a table row. */
const idCell = (id: string, width: number) => (id.length <= width ? id : `${id.slice(0, width - 1)}…`)

/** Macro and micro averages of the model and both baselines (RMSE, MAE, MASE, RMSSE). */
const averageLines = (series: number, macro: Averages, micro: Averages): Array<string> => {
  const row = (name: string, m: Averages["model"]) => numbers(name, [m.rmse, m.mae, m.mase, m.rmsse], 22)
  return [
    `  ${series} series — macro: mean over series, micro: pooled over every forecast`,
    header(["rmse", "mae", "mase", "rmsse"], 22),
    ...(["macro", "micro"] as const).flatMap((kind) => {
      const a = kind === "macro" ? macro : micro
      return [row(`${kind} model`, a.model), row(`${kind} last value`, a.baselines.last_value), row(`${kind} seasonal naive`, a.baselines.seasonal_naive)]
    })
  ]
}

/** The horizon steps the terminal shows: all up to 8, else the first two, the quartiles and the last. */
export const shownSteps = (horizon: number): Array<number> =>
  horizon <= 8 ? Array.from({ length: horizon }, (_, h) => h + 1) : [...new Set([1, 2, Math.round(horizon / 4), Math.round(horizon / 2), Math.round((3 * horizon) / 4), horizon])]

/** RMSE and MASE of the model and the seasonal naive at each shown horizon step. */
const stepLines = (steps: ReadonlyArray<StepReport>): Array<string> => {
  const shown = shownSteps(steps.length).flatMap((step) => steps.filter((s) => s.step === step))
  return [
    header(shown.map((s) => `step ${s.step}`)),
    numbers("model rmse", shown.map((s) => s.model.rmse)),
    numbers("s.naive rmse", shown.map((s) => s.baselines.seasonal_naive.rmse)),
    numbers("model mase", shown.map((s) => s.model.mase)),
    numbers("s.naive mase", shown.map((s) => s.baselines.seasonal_naive.mase))
  ]
}

/** The worst series of a split by the model's MASE (or RMSE), with their skill against the seasonal naive. */
const worstLines = (split: string, report: SplitReport): Array<string> => {
  const worst = worstSeries(report.series ?? [], worstShown)
  const width = Math.min(24, Math.max(6, ...worst.series.map((s) => s.id.length)))
  return [
    `  worst ${worst.series.length} series of ${split} by ${worst.by.toUpperCase()} (skill: RMSE vs seasonal naive):`,
    `    ${"series".padEnd(width)}${["rmse", "mae", "mase", "rmsse", "skill"].map((h) => h.padStart(11)).join("")}`,
    ...worst.series.map((s) =>
      `    ${idCell(s.id, width).padEnd(width)}${[s.model.rmse, s.model.mae, s.model.mase, s.model.rmsse].map((v) => fmt(v).padStart(11)).join("")}${
        (Number.isFinite(s.skill.vs_seasonal_naive) ? `${(100 * s.skill.vs_seasonal_naive).toFixed(1)}%` : "-").padStart(11)
      }`
    )
  ]
}

/**
 * A small table of model vs baselines per split, in original units; with horizon > 1 the error
 * per horizon step; for many series also the macro and micro averages and the worst series (of
 * test, else the last split evaluated).
 */
export const metricsTable = (evaluation: Evaluation): string => {
  const lines: Array<string> = []
  const splits = Object.entries(evaluation.report.splits).flatMap(([name, r]) => (r === undefined ? [] : [[name, r] as const]))
  const ranked = splits.find(([name]) => name === "test") ?? splits.at(-1)
  for (const [split, report] of splits) {
    lines.push(`${split}:`)
    lines.push(header(["rmse", "mae", "mape%", "smape%", "r2", "dir.acc"]))
    const row = (name: string, m: typeof report.model) => numbers(name, [m.rmse, m.mae, m.mape, m.smape, m.r2, m.directional_accuracy])
    lines.push(row("model", report.model))
    lines.push(row("last value", report.baselines.last_value))
    lines.push(row(`seasonal naive`, report.baselines.seasonal_naive))
    lines.push(
      `  skill: ${skillWords(report.skill.vs_seasonal_naive)} RMSE than seasonal naive (season ${evaluation.report.season}), ${
        skillWords(report.skill.vs_last_value)
      } than last value`
    )
    if (report.steps !== undefined && report.steps.length > 1) lines.push(...stepLines(report.steps))
    const series = report.series?.length ?? 0
    if (series > 1 && report.macro !== undefined && report.micro !== undefined) {
      lines.push(...averageLines(series, report.macro, report.micro))
      if (ranked?.[0] === split) lines.push(...worstLines(split, report))
    }
  }
  return lines.join("\n")
}
