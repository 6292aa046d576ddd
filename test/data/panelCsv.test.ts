import { NodeContext } from "@effect/platform-node"
import { expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { loadConfig } from "../../src/config/loadConfig.js"
import { DataSource } from "../../src/data/DataConfig.js"
import { groupRows, WIDE_TARGET } from "../../src/data/panelCsv.js"
import { loadPanel } from "../../src/data/sources.js"
import { fixturesDir } from "./helpers.js"

const source = Schema.decodeUnknownSync(DataSource)

const longSource = {
  kind: "csv",
  path: "stores-long.csv",
  time_column: "date",
  series_column: "store",
  target_column: "units",
  feature_columns: ["price"],
  future_columns: ["promo"],
  static_columns: ["size"]
} as const

/** A directory holding one CSV, `data.csv`, with this text; it plays the config directory. */
const csvDir = (text: string): string => {
  const dir = mkdtempSync(join(tmpdir(), "lstm-panel-"))
  writeFileSync(join(dir, "data.csv"), text)
  return dir
}

const longCsv = (text: string, extra: Record<string, unknown> = {}) =>
  Effect.flip(loadPanel(
    source({ kind: "csv", path: "data.csv", time_column: "date", series_column: "store", target_column: "units", ...extra }),
    csvDir(text)
  ))

layer(NodeContext.layer)("panel CSV", (it) => {
  it.effect("long format: one series per id in first-appearance order, non-adjacent rows grouped in file order, statics per series", () =>
    Effect.gen(function*() {
      const panel = yield* loadPanel(source(longSource), fixturesDir)
      expect(panel.format).toBe("long")
      expect(panel.seriesColumn).toBe("store")
      expect(panel.ids).toEqual(["north", "south", "east"])
      const [north, south, east] = panel.series
      expect(north!.time).toEqual(["2021-01-01", "2021-01-02", "2021-01-03", "2021-01-04"])
      expect([...north!.target.values]).toEqual([10, 11, 12, 13])
      expect([...north!.lines!]).toEqual([2, 4, 7, 11])
      expect(north!.target.name).toBe("units")
      expect(north!.features.map((c) => [c.name, [...c.values]])).toEqual([["price", [1.5, 1.5, 1.6, 1.6]]])
      expect(north!.future.map((c) => [c.name, [...c.values]])).toEqual([["promo", [0, 1, 0, 1]]])
      expect([...south!.target.values]).toEqual([20, 21, 22, 23])
      expect(east!.time).toEqual(["2021-01-03", "2021-01-04"])
      expect([...east!.target.values]).toEqual([5, 6])
      expect(east!.timeKind).toBe("date")
      expect(panel.statics.map((c) => [c.name, [...c.values]])).toEqual([["size", [100, 250, 40]]])
    }))

  it.effect("long format without a time column: each series counts its own rows from 0", () =>
    Effect.gen(function*() {
      const panel = yield* loadPanel(
        source({ kind: "csv", path: "data.csv", series_column: "id", target_column: "y" }),
        csvDir("id,y\na,1\nb,2\na,3\nb,4\nb,5\n")
      )
      expect(panel.ids).toEqual(["a", "b"])
      expect(panel.series.map((s) => [...s.times])).toEqual([[0, 1], [0, 1, 2]])
      expect(panel.series.map((s) => [...s.target.values])).toEqual([[1, 3], [2, 4, 5]])
    }))

  it.effect("wide format: one series per target column, its name the id, sharing time and feature columns", () =>
    Effect.gen(function*() {
      const panel = yield* loadPanel(
        source({
          kind: "csv",
          path: "stores-wide.csv",
          time_column: "date",
          target_columns: ["south", "north"],
          feature_columns: ["price"],
          future_columns: ["promo"]
        }),
        fixturesDir
      )
      expect(panel.format).toBe("wide")
      expect(panel.ids).toEqual(["south", "north"])
      expect(panel.series.map((s) => [...s.target.values])).toEqual([[20, 21, 22, 23], [10, 11, 12, 13]])
      expect(panel.series.map((s) => s.target.name)).toEqual([WIDE_TARGET, WIDE_TARGET])
      expect(panel.series[1]!.time).toEqual(["2021-01-01", "2021-01-02", "2021-01-03", "2021-01-04"])
      expect(panel.series[0]!.features.map((c) => c.name)).toEqual(["price"])
      expect([...panel.series[1]!.future[0]!.values]).toEqual([0, 1, 0, 1])
      expect(panel.statics).toEqual([])
    }))

  it.effect("single-series CSV is read as before: one series, format single", () =>
    Effect.gen(function*() {
      const panel = yield* loadPanel(
        source({ kind: "csv", path: "stores-wide.csv", time_column: "date", target_column: "north" }),
        fixturesDir
      )
      expect(panel.format).toBe("single")
      expect(panel.ids).toEqual(["north"])
      expect([...panel.series[0]!.target.values]).toEqual([10, 11, 12, 13])
    }))

  it.effect("configs/births-panel.yaml loads both shipped births datasets as a panel of two series", () =>
    Effect.gen(function*() {
      const file = fileURLToPath(new URL("../../configs/births-panel.yaml", import.meta.url))
      const { config } = yield* loadConfig(file, [])
      expect(config.data.scaler_scope).toBe("series")
      const panel = yield* loadPanel(config.data.source, dirname(file))
      expect(panel.ids).toEqual(["us-births-1994-2003", "us-births-2000-2014"])
      expect(panel.series.map((s) => [s.time[0], s.time.at(-1), s.target.name])).toEqual([
        ["1994-01-01", "2003-12-31", "births"],
        ["2000-01-01", "2014-12-31", "births"]
      ])
    }))

  it("groups rows by code with a stable counting sort", () => {
    const { offsets, order } = groupRows(Int32Array.of(0, 1, 0, 2, 1, 0), 3)
    expect([...offsets]).toEqual([0, 3, 5, 6])
    expect([...order]).toEqual([0, 2, 5, 1, 4, 3])
  })

  it.effect("an unknown series column is a DataColumnMissing with a did-you-mean", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(loadPanel(source({ ...longSource, series_column: "stores" }), fixturesDir))
      expect(error._tag).toBe("DataColumnMissing")
      expect(error.field).toBe("data.source.series_column")
      expect(error.message).toContain("has no column 'stores'")
      expect(error.message).toContain("Did you mean 'store'?")
    }))

  it.effect("duplicate (series, time) rows name the series, the time and both lines", () =>
    Effect.gen(function*() {
      const error = yield* longCsv("date,store,units\n2021-01-01,a,1\n2021-01-01,b,2\n2021-01-02,b,3\n2021-01-01,a,4\n")
      expect(error._tag).toBe("DataTimeInvalid")
      expect(error.message).toContain("Rows 2 and 5 of")
      expect(error.message).toContain("series 'a' at time 2021-01-01: duplicate (series, time) rows")
      expect(error.fix).toContain("remove or merge row 2 or row 5")
    }))

  it.effect("unsorted time within a series names the series and both lines; other series may interleave", () =>
    Effect.gen(function*() {
      const error = yield* longCsv("date,store,units\n2021-01-02,a,1\n2021-01-01,b,2\n2021-01-03,b,3\n2021-01-01,a,4\n")
      expect(error._tag).toBe("DataTimeInvalid")
      expect(error.field).toBe("data.source.time_column")
      expect(error.message).toContain("Row 5 of series 'a' (column 'store')")
      expect(error.message).toContain("earlier than")
      expect(error.message).toContain("row 2, 2021-01-02")
      expect(error.fix).toContain("Sort")
    }))

  it.effect("a static column that changes within a series names the series, the column and both values", () =>
    Effect.gen(function*() {
      const error = yield* longCsv("date,store,units,size\n2021-01-01,a,1,10\n2021-01-01,b,2,5\n2021-01-02,a,3,12\n", {
        static_columns: ["size"]
      })
      expect(error._tag).toBe("DataValueInvalid")
      expect(error.field).toBe("data.source.static_columns[0]")
      expect(error.message).toContain("series 'a'")
      expect(error.message).toContain("has 10 on row 2 and 12 on row 4")
    }))

  it.effect("a cell that is not a number, or a gap in a future column, names its series", () =>
    Effect.gen(function*() {
      const bad = yield* longCsv("date,store,units\n2021-01-01,a,1\n2021-01-01,b,x\n")
      expect(bad._tag).toBe("DataValueInvalid")
      expect(bad.message).toContain("Row 3 of")
      expect(bad.message).toContain("'x' in column 'units', which is not a number (series 'b').")
      const gap = yield* longCsv("date,store,units,promo\n2021-01-01,a,1,0\n2021-01-01,b,2,\n", { future_columns: ["promo"] })
      expect(gap._tag).toBe("DataValueInvalid")
      expect(gap.field).toBe("data.source.future_columns[0]")
      expect(gap.message).toContain("an empty cell in column 'promo'")
      expect(gap.message).toContain("(series 'b')")
    }))

  it.effect("the id column named again as a feature is refused up front", () =>
    Effect.gen(function*() {
      const error = yield* longCsv("date,store,units\n2021-01-01,1,1\n2021-01-01,2,2\n", { feature_columns: ["store"] })
      expect(error._tag).toBe("DataConfigInvalid")
      expect(error.field).toBe("data.source.feature_columns[0]")
      expect(error.message).toContain("named as the series id column (data.source.series_column)")
    }))

  it.effect("an empty id cell is refused, naming the line and the column", () =>
    Effect.gen(function*() {
      const error = yield* longCsv("date,store,units\n2021-01-01,a,1\n2021-01-01,,2\n")
      expect(error._tag).toBe("DataValueInvalid")
      expect(error.field).toBe("data.source.series_column")
      expect(error.message).toContain("Row 3 of")
      expect(error.message).toContain("empty cell in column 'store'")
    }))

  it.effect("wide format: a series may start late and end early; a gap inside it is named", () =>
    Effect.gen(function*() {
      const dir = csvDir("date,a,b,x\n2021-01-01,1,,7\n2021-01-02,2,20,8\n2021-01-03,3,30,9\n2021-01-04,,40,10\n")
      const panel = yield* loadPanel(
        source({ kind: "csv", path: "data.csv", time_column: "date", target_columns: ["a", "b"], feature_columns: ["x"] }),
        dir
      )
      expect(panel.series.map((s) => s.time)).toEqual([
        ["2021-01-01", "2021-01-02", "2021-01-03"],
        ["2021-01-02", "2021-01-03", "2021-01-04"]
      ])
      expect(panel.series.map((s) => [...s.target.values])).toEqual([[1, 2, 3], [20, 30, 40]])
      expect(panel.series.map((s) => [...s.features[0]!.values])).toEqual([[7, 8, 9], [8, 9, 10]])
      expect(panel.series.map((s) => [...s.lines!])).toEqual([[2, 3, 4], [3, 4, 5]])

      const gap = yield* Effect.flip(loadPanel(
        source({ kind: "csv", path: "data.csv", time_column: "date", target_columns: ["a", "b"] }),
        csvDir("date,a,b\n2021-01-01,1,10\n2021-01-02,,20\n2021-01-03,3,30\n")
      ))
      expect(gap._tag).toBe("DataValueInvalid")
      expect(gap.field).toBe("data.source.target_columns[0]")
      expect(gap.message).toContain("Row 3 of")
      expect(gap.message).toContain("between its first value (row 2) and its last (row 4)")
      const empty = yield* Effect.flip(loadPanel(
        source({ kind: "csv", path: "data.csv", time_column: "date", target_columns: ["a", "b"] }),
        csvDir("date,a,b\n2021-01-01,1,\n2021-01-02,2,\n")
      ))
      expect(empty.message).toContain("series 'b' has no values")
      // features stay complete: an empty feature cell is refused as before
      const feature = yield* Effect.flip(loadPanel(
        source({ kind: "csv", path: "data.csv", time_column: "date", target_columns: ["a"], feature_columns: ["x"] }),
        csvDir("date,a,x\n2021-01-01,1,\n")
      ))
      expect(feature.message).toContain("an empty cell in column 'x'")
    }))

  it.effect("wide format: a target column listed twice, or missing, is refused", () =>
    Effect.gen(function*() {
      const twice = yield* Effect.flip(loadPanel(
        source({ kind: "csv", path: "stores-wide.csv", time_column: "date", target_columns: ["north", "north"] }),
        fixturesDir
      ))
      expect(twice._tag).toBe("DataConfigInvalid")
      expect(twice.field).toBe("data.source.target_columns[1]")
      const missing = yield* Effect.flip(loadPanel(
        source({ kind: "csv", path: "stores-wide.csv", time_column: "date", target_columns: ["north", "sauth"] }),
        fixturesDir
      ))
      expect(missing._tag).toBe("DataColumnMissing")
      expect(missing.field).toBe("data.source.target_columns[1]")
      expect(missing.message).toContain("Did you mean 'south'?")
    }))
})
