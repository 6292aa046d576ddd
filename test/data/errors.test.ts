import { NodeContext } from "@effect/platform-node"
import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { join } from "node:path"
import type { DataConfigEncoded } from "../../src/data/DataConfig.js"
import { prepareData } from "../../src/data/prepareData.js"
import { dataConfig, fixturesDir, salesSource } from "./helpers.js"

const fail = (input: DataConfigEncoded) => prepareData(dataConfig(input), fixturesDir).pipe(Effect.flip)

layer(NodeContext.layer)("data errors", (it) => {
  it.effect("a missing CSV file names the resolved path and suggests a close file name", () =>
    Effect.gen(function*() {
      const error = yield* fail({ source: { ...salesSource, path: "slaes.csv" } })
      expect(error._tag).toBe("DataFileMissing")
      expect(error.file).toBe(join(fixturesDir, "slaes.csv"))
      expect(error.field).toBe("data.source.path")
      expect(error.message).toContain(join(fixturesDir, "slaes.csv"))
      expect(error.message).toContain("Did you mean 'sales.csv'?")
      expect(error.fix).toContain("data.source.path")
    }))

  it.effect("a missing column lists the available columns and the closest one", () =>
    Effect.gen(function*() {
      const error = yield* fail({ source: { ...salesSource, target_column: "unit" } })
      if (error._tag !== "DataColumnMissing") return expect.fail(`unexpected ${error._tag}`)
      expect(error.column).toBe("unit")
      expect(error.field).toBe("data.source.target_column")
      expect(error.available).toEqual(["date", "units", "temperature", "promo"])
      expect(error.message).toContain(join(fixturesDir, "sales.csv"))
      expect(error.message).toContain("'date', 'units', 'temperature', 'promo'")
      expect(error.message).toContain("Did you mean 'units'?")

      const feature = yield* fail({ source: { ...salesSource, feature_columns: ["temperature", "promotion"] } })
      expect(feature._tag).toBe("DataColumnMissing")
      expect(feature.field).toBe("data.source.feature_columns[1]")
      expect(feature.message).toContain("Did you mean 'promo'?")

      const time = yield* fail({ source: { ...salesSource, time_column: "day" } })
      expect(time._tag).toBe("DataColumnMissing")
      expect(time.field).toBe("data.source.time_column")
    }))

  it.effect("a non-numeric cell names the file's row, the column and the text", () =>
    Effect.gen(function*() {
      const error = yield* fail({
        source: { kind: "csv", path: "bad-number.csv", time_column: "date", target_column: "units" }
      })
      if (error._tag !== "DataValueInvalid") return expect.fail(`unexpected ${error._tag}`)
      expect(error.row).toBe(4) // header is line 1; "n/a" is on line 4
      expect(error.column).toBe("units")
      expect(error.text).toBe("n/a")
      expect(error.message).toBe(
        `Row 4 of ${join(fixturesDir, "bad-number.csv")} has 'n/a' in column 'units', which is not a number.`
      )
    }))

  it.effect("a series shorter than lookback + horizon says the minimum and a lookback that fits", () =>
    Effect.gen(function*() {
      const error = yield* fail({ source: { kind: "synthetic", length: 20 }, lookback: 28, horizon: 1 })
      if (error._tag !== "DataSeriesTooShort") return expect.fail(`unexpected ${error._tag}`)
      expect(error.rows).toBe(20)
      expect(error.minimum).toBe(29)
      expect(error.field).toBe("data.lookback")
      expect(error.message).toContain("has 20 rows, fewer than the 29")
      expect(error.fix).toContain("data.lookback of at most 19")
    }))

  it.effect("a split too small for one window names it, its rows, and fractions that work", () =>
    Effect.gen(function*() {
      const input: DataConfigEncoded = {
        source: { kind: "synthetic", length: 200 },
        lookback: 28,
        split: { train: 0.1, val: 0.45, test: 0.45 }
      }
      const error = yield* fail(input)
      if (error._tag !== "DataSplitTooSmall") return expect.fail(`unexpected ${error._tag}`)
      expect(error.split).toBe("train")
      expect(error.rows).toBe(20)
      expect(error.minimum).toBe(29)
      expect(error.field).toBe("data.split.train")
      expect(error.message).toContain("The train split gets 20 of the 200 rows")
      expect(error.fix).toContain("data.split: { train: 0.15, val: 0.4, test: 0.45 }")
      // the suggestion really works
      const fixed = yield* prepareData(dataConfig({ ...input, split: { train: 0.15, val: 0.4, test: 0.45 } }), fixturesDir)
      expect(fixed.splits.train.n).toBeGreaterThan(0)

      const test = yield* fail({
        source: { kind: "synthetic", length: 100 },
        lookback: 5,
        horizon: 3,
        split: { train: 0.9, val: 0.08, test: 0.02 }
      })
      expect(test._tag).toBe("DataSplitTooSmall")
      expect(test.message).toContain("The test split gets 2 of the 100 rows")
    }))

  it.effect("an impossible date names the row and the text", () =>
    Effect.gen(function*() {
      const error = yield* fail({
        source: { kind: "csv", path: "bad-date.csv", time_column: "date", target_column: "units" }
      })
      if (error._tag !== "DataTimeInvalid") return expect.fail(`unexpected ${error._tag}`)
      expect(error.row).toBe(4)
      expect(error.text).toBe("2021-02-30")
      expect(error.column).toBe("date")
      expect(error.message).toContain(`Row 4 of ${join(fixturesDir, "bad-date.csv")} has '2021-02-30'`)
    }))

  it.effect("times that go backwards name the row and ask to sort", () =>
    Effect.gen(function*() {
      const error = yield* fail({
        source: { kind: "csv", path: "unsorted.csv", time_column: "date", target_column: "units" }
      })
      if (error._tag !== "DataTimeInvalid") return expect.fail(`unexpected ${error._tag}`)
      expect(error.row).toBe(4)
      expect(error.message).toContain("2021-01-02")
      expect(error.message).toContain("earlier than the row before it (2021-01-03)")
      expect(error.fix).toContain("Sort")
    }))

  it.effect("a ragged CSV names the line", () =>
    Effect.gen(function*() {
      const error = yield* fail({
        source: { kind: "csv", path: "ragged.csv", time_column: "date", target_column: "units" }
      })
      if (error._tag !== "DataFileInvalid") return expect.fail(`unexpected ${error._tag}`)
      expect(error.line).toBe(3)
      expect(error.message).toContain(`Row 3 of ${join(fixturesDir, "ragged.csv")} has 3 fields`)
    }))

  it.effect("calendar features without dates say how to turn them off", () =>
    Effect.gen(function*() {
      const error = yield* fail({
        source: { kind: "csv", path: "numeric-time.csv", time_column: "step", target_column: "load", delimiter: ";" },
        lookback: 2
      })
      expect(error._tag).toBe("DataConfigInvalid")
      expect(error.field).toBe("data.calendar")
      expect(error.message).toContain("numeric times in 'step'")
      expect(error.fix).toContain("data.calendar.day_of_week")
      const ok = yield* prepareData(
        dataConfig({
          source: { kind: "csv", path: "numeric-time.csv", time_column: "step", target_column: "load", delimiter: ";" },
          lookback: 2,
          split: { train: 0.5, val: 0.25, test: 0.25 },
          calendar: { day_of_week: false, day_of_year: false }
        }),
        fixturesDir
      )
      expect(ok.manifest.features).toEqual(["load"])
      expect(ok.series.time[11]).toBe("11")
    }))
})
