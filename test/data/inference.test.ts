import { NodeContext } from "@effect/platform-node"
import { expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { join } from "node:path"
import { DataSource } from "../../src/data/DataConfig.js"
import { buildInferenceWindow, forecastRows, readInputCsv } from "../../src/data/inference.js"
import { prepareData } from "../../src/data/prepareData.js"
import type { Series } from "../../src/data/Series.js"
import { loadPanel, shippedDatasetFile } from "../../src/data/sources.js"
import { dataConfig, fixturesDir, salesSource, splitX } from "./helpers.js"
import { Path } from "@effect/platform"

const loadOne = (...args: Parameters<typeof loadPanel>) => Effect.map(loadPanel(...args), (panel) => panel.series[0]!)

/** The first `rows` rows of a series. */
const head = (series: Series, rows: number): Series => ({
  ...series,
  times: series.times.slice(0, rows),
  time: series.time.slice(0, rows),
  target: { ...series.target, values: series.target.values.slice(0, rows) },
  features: series.features.map((c) => ({ ...c, values: c.values.slice(0, rows) })),
  future: series.future.map((c) => ({ ...c, values: c.values.slice(0, rows) }))
})

const salesConfig = dataConfig({ source: salesSource, lookback: 7, horizon: 2 })

layer(NodeContext.layer)("inference", (it) => {
  it.effect("builds the same window the training data has for the same history", () =>
    Effect.gen(function*() {
      const { manifest, splits } = yield* prepareData(salesConfig, fixturesDir)
      const series = yield* loadOne(salesConfig.source, fixturesDir)
      const F = manifest.features.length
      for (const i of [0, 5, splits.test.n - 1]) {
        const t = splits.test.start[i]!
        const window = yield* buildInferenceWindow(manifest, head(series, t))
        expect(window.x).toEqual(splitX(splits.test, 7, F).slice(i * 7 * F, (i + 1) * 7 * F))
        expect(window.lastTime).toBe(series.time[t - 1])
        expect(window.times).toEqual(series.time.slice(t, t + 2))
      }
    }))

  it.effect("forecasts the days after the last row, in original units", () =>
    Effect.gen(function*() {
      const { manifest } = yield* prepareData(salesConfig, fixturesDir)
      const series = yield* readInputCsv(manifest, join(fixturesDir, "sales.csv"))
      const window = yield* buildInferenceWindow(manifest, series)
      expect(window.lastTime).toBe("2021-04-30")
      expect(window.times).toEqual(["2021-05-01", "2021-05-02"])
      const rows = forecastRows(manifest, window, [0, 1])
      expect(rows[0]).toEqual({ time: "2021-05-01", value: manifest.scaler.center[0] })
      expect(rows[1]!.value).toBeCloseTo(manifest.scaler.center[0]! + manifest.scaler.scale[0]!, 10)
    }))

  it.effect("reads the shipped births layout (year/month/date_of_month) as input", () =>
    Effect.gen(function*() {
      const path = yield* Path.Path
      const { manifest } = yield* prepareData(dataConfig({}), fixturesDir)
      const file = yield* shippedDatasetFile("us-births-2000-2014", path)
      const series = yield* readInputCsv(manifest, file)
      expect(series.target.values.length).toBe(5479)
      const window = yield* buildInferenceWindow(manifest, series)
      expect(window.times).toEqual(["2015-01-01"])
      expect(window.x.length).toBe(28 * 5)
      expect(window.x[27 * 5]).toBeCloseTo((11990 - manifest.scaler.center[0]!) / manifest.scaler.scale[0]!, 4)
    }))

  it.effect("says how much history is needed, and which columns", () =>
    Effect.gen(function*() {
      const { manifest } = yield* prepareData(salesConfig, fixturesDir)
      const series = yield* loadOne(salesConfig.source, fixturesDir)
      const short = yield* Effect.flip(buildInferenceWindow(manifest, head(series, 5)))
      expect(short._tag).toBe("DataSeriesTooShort")
      expect(short.message).toContain("needs the last 7")

      const other = yield* loadOne(
        Schema.decodeUnknownSync(DataSource)({ ...salesSource, feature_columns: ["temperature"] }),
        fixturesDir
      )
      const mismatch = yield* Effect.flip(buildInferenceWindow(manifest, other))
      expect(mismatch._tag).toBe("DataConfigInvalid")
      expect(mismatch.fix).toContain("units, temperature, promo")

      const missing = yield* Effect.flip(readInputCsv(manifest, join(fixturesDir, "bad-number.csv")))
      expect(missing._tag).toBe("DataColumnMissing")
      expect(missing.message).toContain("no column 'promo'")
      expect(missing.field).toBe("--input")
    }))
})
