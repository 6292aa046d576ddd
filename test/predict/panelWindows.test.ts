import { NodeContext } from "@effect/platform-node"
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Either } from "effect"
import { join } from "node:path"
import type { DatasetManifest } from "../../src/data/Dataset.js"
import { buildInferenceWindow, forecastRows, readFuturePanel, readInputPanel } from "../../src/data/inference.js"
import { layoutFeatureNames, makeLayout } from "../../src/data/layout.js"
import { parseSeriesFlag, selectSeries } from "../../src/predict/selectSeries.js"
import { dataConfig, fixturesDir } from "../data/helpers.js"

const layout = makeLayout(["units", "price"], ["promo"], 1)
const perSplit = { train: 0, val: 0, test: 0 }
const entry = (id: string, size: number, center: Array<number>, scale: Array<number>) => ({
  id,
  rows: perSplit,
  counts: perSplit,
  first: "2021-01-01",
  last: "2021-01-04",
  static: [size],
  scaler: { center, scale }
})

/** A model over stores-long.csv: lookback 3, horizon 1, inputs units, price, promo[+1], then the static size. */
const manifest: DatasetManifest = {
  source: "stores-long.csv",
  features: [...layoutFeatureNames(layout), "size"],
  layout,
  target: "units",
  featureColumns: ["price"],
  futureColumns: ["promo"],
  calendar: dataConfig({ calendar: { day_of_week: false, day_of_year: false } }).calendar,
  holidays: [],
  lookback: 3,
  horizon: 1,
  stride: 1,
  scaler: { kind: "standard", center: [0, 0, 0, 0], scale: [1, 1, 1, 1] },
  counts: perSplit,
  rows: perSplit,
  series: [
    entry("north", 0.5, [10, 1, 0, 0], [2, 0.5, 1, 1]),
    entry("south", -1, [20, 2, 0.5, 0], [4, 1, 0.5, 1]),
    entry("east", 2, [5, 3, 0.5, 0], [1, 1, 0.5, 1])
  ],
  statics: ["size"],
  seriesFormat: "long",
  seriesColumn: "store",
  fingerprint: "",
  timeColumn: "date",
  timeKind: "date"
}

const longFile = join(fixturesDir, "stores-long.csv")

layer(NodeContext.layer)("predict on a panel", (it) => {
  it.effect("builds each series' window with its own scaler and its static inputs at the end of every row", () =>
    Effect.gen(function*() {
      const panel = yield* readInputPanel(manifest, longFile)
      expect(panel.ids).toEqual(["north", "south", "east"])
      const futureOf = yield* readFuturePanel(manifest, join(fixturesDir, "stores-plan.csv"))
      const north = yield* buildInferenceWindow(manifest, panel.series[0]!, futureOf("north"), 0)
      expect(north.lastTime).toBe("2021-01-04")
      expect(north.times).toEqual(["2021-01-05"])
      // rows 2021-01-02 .. 01-04: units 11 12 13, price 1.5 1.6 1.6, promo of the next day 0 1 then the plan's 1
      expect([...north.x]).toEqual([
        ...[(11 - 10) / 2, (1.5 - 1) / 0.5, 0, 0.5],
        ...[(12 - 10) / 2, (1.6 - 1) / 0.5, 1, 0.5],
        ...[(13 - 10) / 2, (1.6 - 1) / 0.5, 1, 0.5]
      ].map(Math.fround))
      const south = yield* buildInferenceWindow(manifest, panel.series[1]!, futureOf("south"), 1)
      expect([...south.x]).toEqual([
        ...[(21 - 20) / 4, 2.5 - 2, (0 - 0.5) / 0.5, -1],
        ...[(22 - 20) / 4, 2.4 - 2, (1 - 0.5) / 0.5, -1],
        ...[(23 - 20) / 4, 2.4 - 2, (0 - 0.5) / 0.5, -1]
      ].map(Math.fround))
      // outputs back in each series' own units
      expect(forecastRows(manifest, north, [1], 0)).toEqual([{ time: "2021-01-05", value: 12 }])
      expect(forecastRows(manifest, south, [1], 1)).toEqual([{ time: "2021-01-05", value: 24 }])
    }))

  it.effect("a series too short for the lookback, or without its future rows, is named", () =>
    Effect.gen(function*() {
      const panel = yield* readInputPanel(manifest, longFile)
      const short = yield* Effect.flip(buildInferenceWindow(manifest, panel.series[2]!, undefined, 2))
      expect(short._tag).toBe("DataSeriesTooShort")
      expect(short.message).toContain("series 'east'")
      const futureOf = yield* readFuturePanel(manifest, join(fixturesDir, "stores-plan.csv"))
      const noPlan = yield* Effect.flip(buildInferenceWindow(manifest, panel.series[2]!, futureOf("east"), 2))
      expect(noPlan._tag).toBe("DataSeriesTooShort")
      const gap = yield* Effect.flip(buildInferenceWindow(manifest, panel.series[0]!, futureOf("east"), 0))
      expect(gap._tag).toBe("DataConfigInvalid")
      expect(gap.message).toContain("for the forecast time 2021-01-05 of series 'north'")
      expect(gap.fix).toContain("columns store, date, promo")
    }))

  it.effect("a model whose series lack their static inputs is refused, not guessed", () =>
    Effect.gen(function*() {
      const panel = yield* readInputPanel(manifest, longFile)
      const broken: DatasetManifest = { ...manifest, series: manifest.series.map(({ static: _static, ...rest }) => rest) }
      const error = yield* Effect.flip(buildInferenceWindow(broken, panel.series[0]!, undefined, 0))
      expect(error._tag).toBe("DataConfigInvalid")
      expect(error.message).toContain("series 'north' has 0 static inputs, but the model expects 1 (size)")
    }))

  it.effect("reads a wide --input: one column per series of the model (or only those asked for)", () =>
    Effect.gen(function*() {
      const wide: DatasetManifest = {
        ...manifest,
        series: manifest.series.slice(0, 2).map(({ static: _static, ...rest }) => rest),
        statics: [],
        features: layoutFeatureNames(layout),
        seriesFormat: "wide",
        seriesColumn: undefined
      }
      const panel = yield* readInputPanel(wide, join(fixturesDir, "stores-wide.csv"), ["south"])
      expect(panel.ids).toEqual(["south"])
      expect(panel.series[0]!.target.name).toBe("units")
      const futureOf = yield* readFuturePanel(wide, join(fixturesDir, "stores-wide.csv"))
      const window = yield* buildInferenceWindow(wide, panel.series[0]!, {
        ...futureOf("south")!,
        times: Float64Array.of(Date.UTC(2021, 0, 5)),
        future: [{ name: "promo", values: Float64Array.of(1) }]
      }, 1)
      expect(window.x.length).toBe(3 * 3)
      expect(window.x[0]).toBe(Math.fround((21 - 20) / 4))
      expect(window.x[8]).toBe(Math.fround((1 - 0.5) / 0.5))
    }))
})

describe("--series", () => {
  const ids = ["north", "south", "east"]
  layer(NodeContext.layer)("selection", (it) => {
    it("takes repeated flags and comma lists", () => {
      expect(parseSeriesFlag(["north,south", " east ", "north", ""])).toEqual(["north", "south", "east"])
    })

    it("forecasts every series of the model the input has, and lists the input's others", () => {
      const selection = Either.getOrThrow(selectSeries(ids, ["east", "west", "north"], [], "in.csv"))
      expect(selection.chosen).toEqual([{ id: "north", model: 0, input: 2 }, { id: "east", model: 2, input: 0 }])
      expect(selection.skipped).toEqual(["west"])
    })

    it("an id the model does not know is an error with a did-you-mean", () => {
      const error = Either.getLeft(selectSeries(ids, ids, ["nort"], "preprocessing.json"))
      expect(error._tag === "Some" && error.value.field).toBe("--series")
      expect(error._tag === "Some" && error.value.message).toContain("The model has no series 'nort'")
      expect(error._tag === "Some" && error.value.message).toContain("Did you mean 'north'?")
    })

    it("an asked-for series missing from the input, or no overlap at all, is an error", () => {
      const absent = Either.getLeft(selectSeries(ids, ["north"], ["south"], "in.csv"))
      expect(absent._tag === "Some" && absent.value.message).toContain("in.csv has no rows of series 'south'")
      const none = Either.getLeft(selectSeries(ids, ["west"], [], "in.csv"))
      expect(none._tag === "Some" && none.value.message).toContain("has none of the 3 series")
    })
  })
})
