import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { bestEpochOf, forecastSpec, lastWeeks, lossSpec, renderPng, seriesErrorSpec, writeReport } from "../../src/report/index.js"
import type { StoredPrediction } from "../../src/rundir/RunDirectory.js"
import * as RunDirectory from "../../src/rundir/RunDirectory.js"
import { writePanelRunFixture, writeRunFixture } from "./fixture.js"

/** PNG signature and IHDR size. */
const pngInfo = (bytes: Uint8Array) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return {
    signature: Array.from(bytes.subarray(0, 8)),
    chunk: new TextDecoder().decode(bytes.subarray(12, 16)),
    width: view.getUint32(16),
    height: view.getUint32(20)
  }
}

const pngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

describe("writeReport", () => {
  it.live("renders loss and forecast PNGs and a self-contained report.html", () =>
    Effect.gen(function*() {
      const root = mkdtempSync(join(tmpdir(), "report-"))
      const dir = writeRunFixture(root, { experiment: "births", run: "units-32", hiddenSize: 32, learningRate: 0.002, testRmse: 301.7 })
      const { files } = yield* writeReport(yield* RunDirectory.at(dir))
      expect(files).toEqual([join(dir, "plots", "loss.png"), join(dir, "plots", "forecast.png"), join(dir, "report.html")])
      const images: Array<Uint8Array> = []
      for (const name of ["loss.png", "forecast.png"]) {
        const bytes = new Uint8Array(readFileSync(join(dir, "plots", name)))
        images.push(bytes)
        const info = pngInfo(bytes)
        expect(info.signature).toEqual(pngSignature)
        expect(info.chunk).toBe("IHDR")
        // 2x zoom of a ~640-760 px wide chart with axes, title and legend.
        expect(info.width).toBeGreaterThan(1000)
        expect(info.width).toBeLessThan(2400)
        expect(info.height).toBeGreaterThan(400)
        // the forecast has its zoomed panel below it
        expect(info.height).toBeLessThan(name === "forecast.png" ? 1800 : 1200)
        expect(bytes.length).toBeGreaterThan(10_000)
      }
      // No temp files left behind.
      expect(readdirSync(join(dir, "plots")).sort()).toEqual(["forecast.png", "loss.png"])
      const html = readFileSync(join(dir, "report.html"), "utf8")
      expect(html).toContain("<title>births / units-32</title>")
      for (const bytes of images) expect(html).toContain(`data:image/png;base64,${Buffer.from(bytes).toString("base64")}`)
      expect(html).toMatch(/<th>test \(model\)<\/th><td>301\.7<\/td>/)
      expect(html).toContain("test (seasonal naive)")
      expect(html).toContain("rmse_vs_seasonal_naive")
      expect(html).toMatch(/<th>best epoch<\/th><td>5<\/td>/)
      expect(html).toMatch(/<th>model\.hidden_size<\/th><td>32<\/td>/)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.live("an unfinished run gets the loss plot and a report saying so; bad predictions are an error", () =>
    Effect.gen(function*() {
      const root = mkdtempSync(join(tmpdir(), "report-"))
      const dir = writeRunFixture(root, { experiment: "births", run: "live", hiddenSize: 16, learningRate: 0.01, testRmse: 400, finished: false })
      writeFileSync(join(dir, "predictions", "test.csv"), "")
      const { files } = yield* writeReport(yield* RunDirectory.at(dir))
      expect(files.map((f) => f.slice(dir.length + 1))).toEqual(["plots/loss.png", "report.html"])
      expect(readFileSync(join(dir, "report.html"), "utf8")).toContain("No summary.json yet")

      writeFileSync(join(dir, "predictions", "test.csv"), "time,actual\n1,2\n")
      const exit = yield* Effect.exit(Effect.flatMap(RunDirectory.at(dir), writeReport))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(Exit.isFailure(exit) ? exit.cause : "")).toMatch(/missing column\(s\) predicted, seasonal_naive, last_value/)
      expect(existsSync(join(dir, "plots", "forecast.png"))).toBe(false)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.live("reads epoch losses (last line per epoch wins) and marks the best epoch", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "report-"))
      const file = join(dir, "metrics.jsonl")
      writeFileSync(file, [
        { kind: "epoch", step: 1, "train/loss": 1, "val/loss": 0.9 },
        { kind: "batch", step: 5, "train/loss": 3 },
        { kind: "epoch", step: 2, "train/loss": 0.5, "val/loss": 0.4 },
        { kind: "epoch", step: 2, "train/loss": 0.45, "val/loss": 0.35 },
        { kind: "epoch", step: 3, "train/loss": 0.3, "val/loss": null }
      ].map((l) => JSON.stringify(l)).join("\n") + "\n{\"kind\":\"ep")
      const losses = yield* (yield* RunDirectory.at(dir)).readEpochLosses
      expect(losses).toEqual([
        { epoch: 1, train: 1, validation: 0.9 },
        { epoch: 2, train: 0.45, validation: 0.35 },
        { epoch: 3, train: 0.3, validation: null }
      ])
      expect(bestEpochOf(losses)?.epoch).toBe(2)
      const spec = JSON.stringify(lossSpec(losses))
      expect(spec).toContain("best epoch 2")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.live("a run over many series: per-series error, best/median/worst and by-step plots, and the per-series tables", () =>
    Effect.gen(function*() {
      const root = mkdtempSync(join(tmpdir(), "report-"))
      const dir = writePanelRunFixture(root, { experiment: "stores", run: "panel", hiddenSize: 32, learningRate: 0.002, testRmse: 380 })
      const { files } = yield* writeReport(yield* RunDirectory.at(dir))
      const plots = ["loss.png", "forecast.png", "series_mase.png", "series.png", "horizon.png"]
      expect(files).toEqual([...plots.map((p) => join(dir, "plots", p)), join(dir, "report.html")])
      const html = readFileSync(join(dir, "report.html"), "utf8")
      for (const name of plots) {
        const bytes = new Uint8Array(readFileSync(join(dir, "plots", name)))
        expect(pngInfo(bytes).signature).toEqual(pngSignature)
        expect(bytes.length).toBeGreaterThan(10_000)
        expect(html).toContain(`data:image/png;base64,${Buffer.from(bytes).toString("base64")}`)
      }
      // three stacked series charts are taller than one
      expect(pngInfo(new Uint8Array(readFileSync(join(dir, "plots", "series.png")))).height).toBeGreaterThan(1000)
      for (const title of ["Test error per series", "Best, median and worst series", "Error by horizon step"]) expect(html).toContain(`<h2>${title}</h2>`)
      expect(html).toContain("<h2>Test averages over 3 series</h2>")
      expect(html).toMatch(/<th>macro \(model\)<\/th><td>388<\/td><td>291<\/td><td>0\.97<\/td>/)
      expect(html).toContain("<h2>Worst 3 series by test MASE</h2>")
      // worst first: south (1.4), "east, west" (0.9), north (0.6)
      const order = ["south", "east, west", "north"].map((id) => html.indexOf(`<th>${id}</th>`))
      expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!))).toBe(true)
    }).pipe(Effect.provide(NodeContext.layer)))

  it("the zoomed panel: the last 8 weeks of dated rows, else the last 56 rows", () => {
    const row = (time: string): StoredPrediction => ({ series: "", time, actual: 1, predicted: 1, seasonal_naive: 1, last_value: 1 })
    const days = Array.from({ length: 200 }, (_, d) => row(new Date(Date.UTC(2003, 0, 1 + d)).toISOString().slice(0, 10)))
    const zoom = lastWeeks(days)
    expect(zoom.label).toBe("last 8 weeks")
    expect(zoom.rows).toHaveLength(56)
    expect(zoom.rows[0]!.time).toBe(days[144]!.time)
    expect(zoom.rows.at(-1)!.time).toBe(days[199]!.time)
    // hourly rows: 8 weeks of hours
    const hours = Array.from({ length: 2000 }, (_, h) => row(new Date(Date.UTC(2003, 0, 1, h)).toISOString().slice(0, 16)))
    expect(lastWeeks(hours).rows).toHaveLength(56 * 24)
    const steps = Array.from({ length: 100 }, (_, t) => row(String(t)))
    expect(lastWeeks(steps)).toEqual({ rows: steps.slice(44), label: "last 56 steps" })
    // the forecast plot stacks the full test set and the zoom; a short test set needs no zoom
    const spec = forecastSpec(days)
    expect("vconcat" in spec && spec.vconcat.length).toBe(2)
    expect(JSON.stringify(spec)).toContain("last 8 weeks of the test set")
    expect("vconcat" in forecastSpec(days.slice(0, 40))).toBe(false)
  })

  it.effect("many series get a histogram of per-series MASE instead of one bar each", () =>
    Effect.gen(function*() {
      const metrics = (mase: number) => ({ rmse: mase, mae: mase, mape: 1, smape: 1, mase, rmsse: mase })
      const series = Array.from({ length: 200 }, (_, s) => ({
        id: `s${s}`,
        count: 30,
        model: metrics(0.5 + (s % 17) / 10),
        baselines: { last_value: metrics(2), seasonal_naive: metrics(1.2 + (s % 5) / 10) },
        skill: { vs_last_value: 0.1, vs_seasonal_naive: 0.1 }
      }))
      const spec = seriesErrorSpec(series, "mase")
      expect(JSON.stringify(spec)).toContain('"bin":{"maxbins":40}')
      expect(JSON.stringify(seriesErrorSpec(series.slice(0, 30), "mase"))).not.toContain("bin")
      const png = yield* renderPng("series_mase.png", spec)
      expect(pngInfo(png).signature).toEqual(pngSignature)
    }))
})
