import { Effect, Option } from "effect"
import type { TopLevelSpec } from "vega-lite"
import { rankSeries, representativeSeries } from "../evaluate/rank.js"
import { RunFiles } from "../rundir/files.js"
import type { RunDirectoryService, StoredPrediction } from "../rundir/RunDirectory.js"
import { forecastSpec, horizonSpec, seriesErrorSpec, seriesForecastSpec } from "./forecastPlots.js"
import { type ReportImage, reportHtml } from "./html.js"
import { lossSpec } from "./plots.js"
import { renderPng } from "./render.js"

/** Prediction rows by series, in the order the series first appear. */
const bySeries = (rows: ReadonlyArray<StoredPrediction>): Map<string, Array<StoredPrediction>> => {
  const groups = new Map<string, Array<StoredPrediction>>()
  for (const row of rows) {
    const group = groups.get(row.series)
    if (group === undefined) groups.set(row.series, [row])
    else group.push(row)
  }
  return groups
}

/**
 * Write the run's plots and `report.html` (summary tables and every plot inline) into the run
 * directory: `plots/loss.png` (from metrics.jsonl), `plots/forecast.png` (predictions/test.csv,
 * with a zoom on the last 8 weeks; the first series of many) and, from eval.json, for many series
 * `plots/series_mase.png` (per-series test error) and `plots/series.png` (best, median and worst
 * series), and for horizon > 1 `plots/horizon.png` (error by step). A plot whose data is missing
 * is left out. Every file is written atomically; returns the paths written.
 */
export const writeReport = Effect.fn("Report.write")(function*(dir: RunDirectoryService) {
  const summary = Option.getOrUndefined(yield* dir.readSummary)
  const evaluation = Option.getOrUndefined(yield* dir.readEval)
  const files: Array<string> = []
  const images: Array<ReportImage> = []
  const plot = (file: string, title: string, spec: TopLevelSpec) =>
    Effect.gen(function*() {
      const png = yield* renderPng(file.slice(file.lastIndexOf("/") + 1), spec)
      files.push(yield* dir.write(file, png))
      images.push({ title, png })
    })

  const losses = yield* dir.readEpochLosses
  if (losses.length > 0) yield* plot(RunFiles.lossPlot, "Loss per epoch", lossSpec(losses, summary?.best_epoch ?? undefined))

  const predictions = bySeries(yield* dir.readPredictions)
  const [first] = predictions
  if (first !== undefined) {
    const [id, rows] = first
    yield* plot(RunFiles.forecastPlot, "Test forecast", forecastSpec(rows, predictions.size > 1 ? `${id}, first of ${predictions.size}` : undefined))
  }

  const test = evaluation?.splits.test
  const series = test?.series ?? []
  if (series.length > 1) {
    const ranked = rankSeries(series)
    yield* plot(RunFiles.seriesErrorPlot, "Test error per series", seriesErrorSpec([...ranked.series].reverse(), ranked.by))
    const shown = representativeSeries(series).flatMap(({ place, series: picked }) => {
      const rows = predictions.get(picked.id)
      return rows === undefined ? [] : [{ place, series: picked, rows }]
    })
    if (shown.length > 0) yield* plot(RunFiles.seriesPlot, "Best, median and worst series", seriesForecastSpec(shown, ranked.by))
  }
  const steps = test?.steps ?? []
  if (steps.length > 1) {
    yield* plot(RunFiles.horizonPlot, "Error by horizon step", horizonSpec(steps, steps.every((s) => Number.isFinite(s.model.mase)) ? "mase" : "rmse"))
  }

  files.push(yield* dir.write(RunFiles.report, reportHtml({ runDir: dir.location.runDir, summary, evaluation, images })))
  return { files }
})
