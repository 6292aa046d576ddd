import { Effect, Option } from "effect"
import { RunFiles } from "../rundir/files.js"
import type { RunDirectoryService } from "../rundir/RunDirectory.js"
import { type ReportImage, reportHtml } from "./html.js"
import { forecastSpec, lossSpec } from "./plots.js"
import { renderPng } from "./render.js"

/**
 * Write `plots/loss.png` (from metrics.jsonl), `plots/forecast.png` (from predictions/test.csv)
 * and `report.html` (summary tables and both plots inline) into the run directory. A plot whose
 * data is missing is left out. Every file is written atomically; returns the paths written.
 */
export const writeReport = Effect.fn("Report.write")(function*(dir: RunDirectoryService) {
  const summary = Option.getOrUndefined(yield* dir.readSummary)
  const files: Array<string> = []
  const images: Array<ReportImage> = []

  const losses = yield* dir.readEpochLosses
  if (losses.length > 0) {
    const png = yield* renderPng("loss.png", lossSpec(losses, summary?.best_epoch ?? undefined))
    files.push(yield* dir.write(RunFiles.lossPlot, png))
    images.push({ title: "Loss per epoch", png })
  }

  const predictions = yield* dir.readPredictions
  if (predictions.length > 0) {
    const png = yield* renderPng("forecast.png", forecastSpec(predictions))
    files.push(yield* dir.write(RunFiles.forecastPlot, png))
    images.push({ title: "Test forecast", png })
  }

  files.push(yield* dir.write(RunFiles.report, reportHtml({ runDir: dir.location.runDir, summary, images })))
  return { files }
})
