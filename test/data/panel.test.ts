import { NodeContext } from "@effect/platform-node"
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { dirname } from "node:path"
import { fileURLToPath } from "node:url"
import { loadConfig } from "../../src/config/loadConfig.js"
import { type Blob, decodeDataset, encodeDataset, unscaleWindows } from "../../src/data/Dataset.js"
import type { DataConfigEncoded } from "../../src/data/DataConfig.js"
import { prepareData, preparePanel } from "../../src/data/prepareData.js"
import type { Column, Panel, Series } from "../../src/data/Series.js"
import { generateSynthetic, generateSyntheticPanel } from "../../src/data/synthetic.js"
import { dailyTimes, formatTime } from "../../src/data/time.js"
import { dataConfig, fixturesDir, splitX } from "./helpers.js"

/** A daily series `id` from `start` with these target values (no features). */
const series = (id: string, start: string, values: ReadonlyArray<number>): Series => {
  const times = dailyTimes(start, values.length)
  return {
    description: `series ${id}`,
    file: "panel.csv",
    timeColumn: "date",
    timeKind: "date",
    times,
    time: Array.from(times, (t) => formatTime("date", t)),
    target: { name: "sales", values: Float64Array.from(values) },
    features: [],
    future: []
  }
}

const panelOf = (members: ReadonlyArray<[string, Series]>, statics: ReadonlyArray<Column> = []): Panel => ({
  description: "a small panel",
  file: "panel.csv",
  format: "long",
  seriesColumn: "store",
  ids: members.map(([id]) => id),
  series: members.map(([, s]) => s),
  statics
})

// on a 10-day union axis (2001-01-01 .. 10) cut at 0.6 / 0.8: val from 2001-01-07, test from 2001-01-09
const a = series("a", "2001-01-01", [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]) // train 6, val 2, test 2 rows
const b = series("b", "2001-01-04", [10, 20, 30, 40, 50, 60, 70]) // starts later: train 3, val 2, test 2 rows
const c = series("c", "2001-01-06", [1, 2, 3, 4, 5]) // train 1 row: too short for a window
const plain = panelOf([["a", a], ["b", b], ["c", c]])
const small = panelOf([["a", a], ["b", b], ["c", c]], [{ name: "size", values: Float64Array.of(1, 3, 5) }])

const config = (extra: Partial<DataConfigEncoded> = {}) =>
  dataConfig({
    lookback: 2,
    horizon: 1,
    split: { train: 0.6, val: 0.2, test: 0.2 },
    calendar: { day_of_week: false, day_of_year: false },
    ...extra
  })

const round = (values: ArrayLike<number>, digits = 5) => Array.from(values, (v) => Number(v.toFixed(digits)))

describe("a panel", () => {
  it.effect("splits every series at the same cut dates and skips one too short, naming it", () =>
    Effect.gen(function*() {
      const ds = yield* preparePanel(config(), plain)
      const { manifest } = ds
      expect(manifest.series.map((e) => e.id)).toEqual(["a", "b"])
      expect(manifest.series.map((e) => [e.first, e.last])).toEqual([["2001-01-01", "2001-01-10"], ["2001-01-04", "2001-01-10"]])
      expect(manifest.series.map((e) => e.rows)).toEqual([{ train: 6, val: 2, test: 2 }, { train: 3, val: 2, test: 2 }])
      expect(manifest.series.map((e) => e.counts)).toEqual([{ train: 4, val: 2, test: 2 }, { train: 1, val: 2, test: 2 }])
      expect(manifest.rows).toEqual({ train: 9, val: 4, test: 4 })
      expect(manifest.counts).toEqual({ train: 5, val: 4, test: 4 })
      expect(manifest.warnings).toEqual([
        "series 'c' is skipped: its train split has 1 rows at the panel's cut dates, too few for one window, which needs 3 there (lookback 2, horizon 1)."
      ])
      expect(manifest.seriesFormat).toBe("long")
      expect(manifest.seriesColumn).toBe("store")
      // the first val and test targets of both series fall on the same dates
      const at = (name: "val" | "test", i: number) => ds.series.time[ds.series.offsets[ds.splits[name].series[i]!]! + ds.splits[name].start[i]!]
      expect([at("val", 0), at("val", 2)]).toEqual(["2001-01-07", "2001-01-07"])
      expect([at("test", 0), at("test", 2)]).toEqual(["2001-01-09", "2001-01-09"])
      // windows never cross series: b's train window reads its own first two rows
      expect(Array.from(ds.splits.train.series)).toEqual([0, 0, 0, 0, 1])
      expect(Array.from(ds.splits.train.start)).toEqual([2, 3, 4, 5, 2])
      expect(Array.from(ds.series.offsets)).toEqual([0, 10, 17])
      expect(Array.from(ds.series.target.subarray(10))).toEqual([10, 20, 30, 40, 50, 60, 70])
    }))

  it.effect("fits each series' scaler on its own train rows (scope series), against hand-computed values", () =>
    Effect.gen(function*() {
      const ds = yield* preparePanel(config(), plain)
      const [ea, eb] = ds.manifest.series
      // a: train 2..12, mean 7, population std sqrt(70/6); b: train 10, 20, 30, mean 20, std sqrt(200/3)
      expect(round(ea!.scaler!.center)).toEqual([7])
      expect(round(ea!.scaler!.scale)).toEqual([3.41565])
      expect(round(eb!.scaler!.center)).toEqual([20])
      expect(round(eb!.scaler!.scale)).toEqual([8.16497])
      // the dataset's scaler is always the global fit: 9 train rows, mean 102/9, std sqrt(608/9)
      expect(round(ds.manifest.scaler.center)).toEqual([11.33333])
      expect(round(ds.manifest.scaler.scale)).toEqual([8.21922])
      // b's train window: inputs 10, 20 and target 30 in b's own units
      expect(round(splitX(ds.splits.train, 2, 1).subarray(8), 4)).toEqual(round([(10 - 20) / 8.164966, (20 - 20) / 8.164966], 4))
      expect(round(ds.splits.train.y.subarray(4), 4)).toEqual(round([(30 - 20) / 8.164966], 4))
      expect(round(unscaleWindows(ds.manifest, ds.splits.test, ds.splits.test.y), 3)).toEqual([18, 20, 60, 70])
    }))

  it.effect("fits one scaler over every series' train rows with scope global", () =>
    Effect.gen(function*() {
      const ds = yield* preparePanel(config({ scaler_scope: "global" }), plain)
      expect(ds.manifest.series.every((e) => e.scaler === undefined)).toBe(true)
      const [center, scale] = [102 / 9, Math.sqrt(608 / 9)]
      expect(round(splitX(ds.splits.train, 2, 1).subarray(8), 4)).toEqual(round([(10 - center) / scale, (20 - center) / scale], 4))
      expect(round(unscaleWindows(ds.manifest, ds.splits.test, ds.splits.test.y), 3)).toEqual([18, 20, 60, 70])
    }))

  it.effect("appends the series one-hot and the scaled static columns to every gathered row", () =>
    Effect.gen(function*() {
      const ds = yield* preparePanel(config({ series_id: "one_hot" }), small)
      const { manifest } = ds
      expect(manifest.features).toEqual(["sales", "series=a", "series=b", "size"])
      expect(manifest.statics).toEqual(["series=a", "series=b", "size"])
      // size over the kept series a, b: 1 and 3, mean 2, std 1
      expect(manifest.series.map((e) => e.static)).toEqual([[1, 0, -1], [0, 1, 1]])
      expect(round(manifest.scaler.center)).toEqual(round([102 / 9, 0, 0, 2]))
      expect(manifest.scaler.scale.slice(1)).toEqual([1, 1, 1])
      // stored once per series, never per row
      expect(ds.inputs.features).toBe(1)
      expect(ds.inputs.rows.length).toBe(17)
      const x = splitX(ds.splits.train, 2, 4)
      expect(round(x.subarray(0, 8), 4)).toEqual(round([(2 - 7) / 3.415650, 1, 0, -1, (4 - 7) / 3.415650, 1, 0, -1], 4))
      expect(round(x.subarray(16 * 2, 16 * 2 + 8), 4)).toEqual(round([(10 - 20) / 8.164966, 0, 1, 1, 0, 0, 1, 1], 4))
    }))

  it.effect("refuses a panel whose series are all too short, with a lookback that fits", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(preparePanel(config({ lookback: 6 }), small))
      expect(error._tag).toBe("DataSeriesTooShort")
      if (error._tag !== "DataSeriesTooShort") return
      expect(error.field).toBe("data.lookback")
      expect(error.message).toContain("All 3 series of a small panel are too short")
      expect(error.message).toContain("the longest, 'a', has 10 rows (train 6, val 2, test 2")
      expect(error.fix).toBe("Use data.lookback of at most 5 (better much less), or longer series.")
      // lookback 5 does fit a
      const ds = yield* preparePanel(config({ lookback: 5 }), small)
      expect(ds.manifest.series.map((e) => e.id)).toEqual(["a"])
      expect(ds.manifest.warnings?.length).toBe(2)
    }))

  it.effect("skips a series with a constant target instead of failing the panel", () =>
    Effect.gen(function*() {
      const flat = series("flat", "2001-01-01", Array.from({ length: 10 }, () => 5))
      const ds = yield* preparePanel(config(), panelOf([["a", a], ["flat", flat]]))
      expect(ds.manifest.series.map((e) => e.id)).toEqual(["a"])
      expect(ds.manifest.warnings?.[0]).toContain("series 'flat' is skipped: its target 'sales' is 5 on every one of its 10 rows")
    }))

  it.effect("round-trips a panel dataset with statics through encode and decode, and rejects a bad static entry", () =>
    Effect.gen(function*() {
      const ds = yield* preparePanel(config({ series_id: "one_hot" }), small)
      const { blobs, manifest } = encodeDataset(ds)
      const decoded = yield* decodeDataset(JSON.parse(JSON.stringify(manifest)), blobs)
      expect(decoded.manifest).toEqual(ds.manifest)
      expect(Array.from(decoded.inputs.statics!.table)).toEqual(Array.from(ds.inputs.statics!.table))
      expect(Array.from(decoded.series.offsets)).toEqual([0, 10, 17])
      for (const name of ["train", "val", "test"] as const) {
        expect(splitX(decoded.splits[name], 2, 4)).toEqual(splitX(ds.splits[name], 2, 4))
        expect(Array.from(decoded.splits[name].series)).toEqual(Array.from(ds.splits[name].series))
      }
      const encoded = manifest as { series: Array<{ static: Array<number> }> }
      const damaged = { ...encoded, series: [{ ...encoded.series[0]!, static: [1, 0] }, encoded.series[1]!] }
      const error = yield* Effect.flip(decodeDataset(damaged, blobs))
      expect(error.field).toBe("series[0].static")
      expect(error.message).toContain("has 2 static inputs, expected 3")
      const short: Array<Blob> = blobs.map((blob) => blob.name === "inputs.f32" ? { ...blob, data: blob.data.subarray(4) } : blob)
      expect((yield* Effect.flip(decodeDataset(manifest, short))).message).toContain("has 64 bytes, expected 68 (17 values)")
    }))
})

describe("synthetic panel", () => {
  const source = (extra: object = {}) =>
    ({ kind: "synthetic", length: 50, period: 7, level: 100, trend: 0.01, amplitude: 10, noise: 1, seed: 42, series: 3, start: "2000-01-01", frequency: "daily", ...extra }) as const

  it("is deterministic for its seed, with series that differ and ids s0001…", () => {
    const first = generateSyntheticPanel(source())
    const again = generateSyntheticPanel(source())
    expect(first.ids).toEqual(["s0001", "s0002", "s0003"])
    expect(first.series.map((s) => Array.from(s.target.values))).toEqual(again.series.map((s) => Array.from(s.target.values)))
    const [s1, s2] = first.series
    expect(s1!.target.values[0]).not.toBe(s2!.target.values[0])
    // one time axis, shared by every series
    expect(s2!.times).toBe(s1!.times)
    expect(s1!.time[49]).toBe("2000-02-19")
    const other = generateSyntheticPanel(source({ seed: 7 }))
    expect(other.series[0]!.target.values[0]).not.toBe(s1!.target.values[0])
  })

  it("keeps series: 1 exactly the single generated series", () => {
    const panel = generateSyntheticPanel(source({ series: 1 }))
    expect(panel.format).toBe("single")
    expect(Array.from(panel.series[0]!.target.values)).toEqual(Array.from(generateSynthetic(source({ series: 1 })).target.values))
  })
})

layer(NodeContext.layer)("panel sources", (it) => {
  it.effect("prepares both shipped births datasets as two series cut at the same dates (one starts six years later)", () =>
    Effect.gen(function*() {
      const ds = yield* prepareData(
        dataConfig({ source: { kind: "dataset", name: ["us-births-1994-2003", "us-births-2000-2014"] }, split: { train: 0.3, val: 0.15, test: 0.55 } }),
        fixturesDir
      )
      const [early, late] = ds.manifest.series
      expect([early!.id, late!.id]).toEqual(["us-births-1994-2003", "us-births-2000-2014"])
      // the union axis 1994-01-01 .. 2014-12-31 has 7670 days: val from day round(7670·0.3) = 2301,
      // test from day round(7670·(0.3 + 0.15)) = 3451 (0.3 + 0.15 is 0.44999… in floating point)
      const cut = (day: number) => formatTime("date", Date.parse("1994-01-01T00:00:00Z") + day * 86_400_000)
      const firstOf = (s: number, row: number) => ds.series.time[ds.series.offsets[s]! + row]
      expect(firstOf(0, early!.rows.train)).toBe(cut(2301))
      expect(firstOf(1, late!.rows.train)).toBe(cut(2301))
      expect(firstOf(0, early!.rows.train + early!.rows.val)).toBe(cut(3451))
      expect(firstOf(1, late!.rows.train + late!.rows.val)).toBe(cut(3451))
      expect(late!.first).toBe("2000-01-01")
      // the calendar of each series' own days: row 1 of the late series (2000-01-02) carries
      // Monday 2000-01-03's day of week (d = 1: sin 2π/7), row 1 of the early one Monday 1994-01-03's
      const features = ds.inputs.features
      expect(ds.manifest.features.slice(1, 3)).toEqual(["day_of_week_sin[+1]", "day_of_week_cos[+1]"])
      expect(ds.inputs.rows[(ds.series.offsets[1]! + 1) * features + 1]).toBeCloseTo(Math.sin((2 * Math.PI) / 7), 6)
      expect(ds.inputs.rows[1 * features + 1]).toBeCloseTo(Math.sin((2 * Math.PI) / 7), 6)
      expect(ds.manifest.seriesFormat).toBe("wide")
    }))

  it.effect("prepares a synthetic panel", () =>
    Effect.gen(function*() {
      const ds = yield* prepareData(dataConfig({ source: { kind: "synthetic", series: 4, length: 200 } }), fixturesDir)
      expect(ds.manifest.series.map((e) => e.id)).toEqual(["s0001", "s0002", "s0003", "s0004"])
      expect(ds.manifest.counts.train).toBe(4 * (140 - 28))
      expect(ds.manifest.series.every((e) => e.scaler !== undefined)).toBe(true)
    }))
})

layer(NodeContext.layer)("configs/births-panel.yaml", (it) => {
  it.effect("keeps both births series, each with windows in every split at the shared cut dates", () =>
    Effect.gen(function*() {
      const file = fileURLToPath(new URL("../../configs/births-panel.yaml", import.meta.url))
      const { config } = yield* loadConfig(file, [])
      const ds = yield* prepareData(config.data, dirname(file))
      expect(ds.manifest.warnings ?? []).toEqual([])
      expect(ds.manifest.series.map((e) => [e.id, e.rows])).toEqual([
        ["us-births-1994-2003", { train: 2761, val: 460, test: 431 }],
        ["us-births-2000-2014", { train: 570, val: 460, test: 4449 }]
      ])
      expect(ds.manifest.statics).toEqual(["series=us-births-1994-2003", "series=us-births-2000-2014"])
    }))
})
