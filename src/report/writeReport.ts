import { FileSystem } from "@effect/platform"
import { Effect, Option } from "effect"
import { join } from "node:path"
import { writeAtomic } from "./atomic.js"
import { type ReportImage, reportHtml } from "./html.js"
import { forecastSpec, lossSpec } from "./plots.js"
import { renderPng } from "./render.js"
import { ReportError } from "./ReportError.js"
import { readSummary } from "./RunSummary.js"
import { readEpochLosses, readPredictions } from "./runData.js"

/**
 * Write `plots/loss.png` (from metrics.jsonl), `plots/forecast.png` (from predictions/test.csv)
 * and `report.html` (summary tables and both plots inline) into the run directory. A plot whose
 * data is missing is left out. Every file is written atomically; returns the paths written.
 */
export const writeReport = Effect.fn("Report.write")(function*(runDir: string) {
  const fs = yield* FileSystem.FileSystem
  const plotsDir = join(runDir, "plots")
  yield* fs.makeDirectory(plotsDir, { recursive: true }).pipe(
    Effect.mapError((e) => new ReportError({ path: plotsDir, reason: e.message }))
  )
  const summary = Option.getOrUndefined(yield* readSummary(join(runDir, "summary.json")))
  const files: Array<string> = []
  const images: Array<ReportImage> = []

  const losses = yield* readEpochLosses(join(runDir, "metrics.jsonl"))
  if (losses.length > 0) {
    const png = yield* renderPng("loss.png", lossSpec(losses, summary?.best_epoch ?? undefined))
    const file = join(plotsDir, "loss.png")
    yield* writeAtomic(file, png)
    files.push(file)
    images.push({ title: "Loss per epoch", png })
  }

  const predictions = yield* readPredictions(join(runDir, "predictions", "test.csv"))
  if (predictions.length > 0) {
    const png = yield* renderPng("forecast.png", forecastSpec(predictions))
    const file = join(plotsDir, "forecast.png")
    yield* writeAtomic(file, png)
    files.push(file)
    images.push({ title: "Test forecast", png })
  }

  const html = join(runDir, "report.html")
  yield* writeAtomic(html, reportHtml({ runDir, summary, images }))
  files.push(html)
  return { files }
})
