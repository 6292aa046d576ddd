import { NodeContext } from "@effect/platform-node"
import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { buildInferenceWindow, readFutureCsv, readInputCsv } from "../../src/data/inference.js"
import { prepareData } from "../../src/data/prepareData.js"
import type { Series } from "../../src/data/Series.js"
import { loadPanel } from "../../src/data/sources.js"
import { dataConfig, fixturesDir, splitX } from "./helpers.js"

const loadOne = (...args: Parameters<typeof loadPanel>) => Effect.map(loadPanel(...args), (panel) => panel.series[0]!)

/** Sales with promo known in advance and US holidays; lookback 7, horizon 2. */
const futureConfig = dataConfig({
  source: {
    kind: "csv",
    path: "sales.csv",
    time_column: "date",
    target_column: "units",
    feature_columns: ["temperature"],
    future_columns: ["promo"]
  },
  lookback: 7,
  horizon: 2,
  calendar: { day_of_week: true, day_of_year: false, holidays: { country: "US", which: 2, neighbours: 0 } }
})

const rowsOf = (series: Series, from: number, to: number): Series => ({
  ...series,
  times: series.times.slice(from, to),
  time: series.time.slice(from, to),
  target: { ...series.target, values: series.target.values.slice(from, to) },
  features: series.features.map((c) => ({ ...c, values: c.values.slice(from, to) })),
  future: series.future.map((c) => ({ ...c, values: c.values.slice(from, to) }))
})

layer(NodeContext.layer)("known-future covariates", (it) => {
  it.effect("lays out past features, then the known-future ones of each of the horizon steps", () =>
    Effect.gen(function*() {
      const { manifest, splits } = yield* prepareData(futureConfig, fixturesDir)
      const known = ["day_of_week_sin", "day_of_week_cos", "holiday", "days_to_holiday", "days_since_holiday"]
      expect(manifest.layout.past).toEqual(["units", "temperature"])
      expect(manifest.layout.known.slice(0, 5)).toEqual(known)
      expect(manifest.layout.known.at(-1)).toBe("promo")
      expect(manifest.holidays).toHaveLength(2) // New Year's Day, MLK Day or Washington's Birthday (Jan-Apr 2021)
      const K = manifest.layout.known.length
      const F = 2 + 2 * K
      expect(manifest.features).toHaveLength(F)
      const trainX = splitX(splits.train, 7, F)
      const series = yield* loadOne(futureConfig.source, fixturesDir)
      const promo = series.future[0]!.values
      const [c, s] = [manifest.scaler.center[2 + K - 1]!, manifest.scaler.scale[2 + K - 1]!]
      expect(s).not.toBe(1) // the future column is scaled, on the train rows
      const i = 3
      const t = splits.train.start[i]!
      for (let j = 0; j < 7; j++) {
        for (let step = 1; step <= 2; step++) {
          const value = trainX[(i * 7 + j) * F + 2 + (step - 1) * K + K - 1]
          expect(value).toBe(Math.fround((promo[t - 7 + j + step]! - c) / s))
        }
      }
      // 2021-01-18 (row 17) is Martin Luther King Jr. Day: the row before it says "holiday at +1"
      const w = splits.train.start.indexOf(18) // window whose last row is row 17
      const lastRow = (w * 7 + 6) * F
      expect(series.time[17]).toBe("2021-01-18")
      expect(trainX[lastRow + 2 + 2]).toBe(0) // row 17's own +1 step (row 18) is no holiday
      const before = splits.train.start.indexOf(17) // last row 16: its +1 step is row 17
      expect(trainX[(before * 7 + 6) * F + 2 + 2]).toBe(1)
    }))

  it.effect("predict builds the training window given the future columns of the forecast range", () =>
    Effect.gen(function*() {
      const { manifest, splits } = yield* prepareData(futureConfig, fixturesDir)
      const series = yield* loadOne(futureConfig.source, fixturesDir)
      const F = manifest.features.length
      const i = 4
      const t = splits.test.start[i]!
      const ahead = rowsOf(series, t, t + 2)
      const future: Series = { ...ahead, features: [], future: ahead.future }
      const window = yield* buildInferenceWindow(manifest, rowsOf(series, 0, t), future)
      expect(window.x).toEqual(splitX(splits.test, 7, F).slice(i * 7 * F, (i + 1) * 7 * F))

      const gap = yield* Effect.flip(buildInferenceWindow(manifest, rowsOf(series, 0, t), rowsOf(future, 0, 1)))
      expect(gap._tag).toBe("DataConfigInvalid")
      expect(gap.message).toContain(`no row for the forecast time ${series.time[t + 1]}`)
      const none = yield* Effect.flip(buildInferenceWindow(manifest, rowsOf(series, 0, t)))
      expect(none.message).toContain("no --future file gives them")
      expect(none.fix).toContain(`--future <file.csv> with columns date, promo`)
    }))

  it.effect("reads --input and --future files", () =>
    Effect.gen(function*() {
      const { manifest } = yield* prepareData(futureConfig, fixturesDir)
      const dir = mkdtempSync(join(tmpdir(), "future-"))
      const file = join(dir, "plan.csv")
      writeFileSync(file, "date,promo\n2021-05-01,1\n2021-05-02,0\n")
      const input = yield* readInputCsv(manifest, join(fixturesDir, "sales.csv"))
      expect(input.future.map((c) => c.name)).toEqual(["promo"])
      const future = yield* readFutureCsv(manifest, file)
      const window = yield* buildInferenceWindow(manifest, input, future)
      expect(window.times).toEqual(["2021-05-01", "2021-05-02"])
      const K = manifest.layout.known.length
      const last = 6 * manifest.features.length
      const [c, s] = [manifest.scaler.center[2 + K - 1]!, manifest.scaler.scale[2 + K - 1]!]
      expect(window.x[last + 2 + K - 1]).toBe(Math.fround((1 - c) / s))
      expect(window.x[last + 2 + 2 * K - 1]).toBe(Math.fround((0 - c) / s))
    }))

  it.effect("an unknown holiday country is a DataConfigInvalid naming the field", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        prepareData(dataConfig({ calendar: { holidays: { country: "Narnia" } } }), fixturesDir)
      )
      expect(error._tag).toBe("DataConfigInvalid")
      expect(error.field).toBe("data.calendar.holidays.country")
      expect(error.message).toContain(`unknown holiday country "Narnia"`)
    }))
})
