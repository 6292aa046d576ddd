import { NodeContext } from "@effect/platform-node"
import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { unscaleTarget } from "../../src/data/Dataset.js"
import { prepareData } from "../../src/data/prepareData.js"
import { dataConfig, fixturesDir, salesSource, splitX } from "./helpers.js"

/** The fixture read by hand (no code under test): columns by name. */
const salesColumns = (() => {
  const [header, ...lines] = readFileSync(join(fixturesDir, "sales.csv"), "utf8").trim().split("\n")
  const names = header!.split(",")
  const rows = lines.map((line) => line.split(","))
  return Object.fromEntries(names.map((name, i) => [name, rows.map((row) => row[i]!)]))
})()
const units = salesColumns.units!.map(Number)
const temperature = salesColumns.temperature!.map(Number)
const promo = salesColumns.promo!.map(Number)

const mean = (values: ReadonlyArray<number>) => values.reduce((s, v) => s + v, 0) / values.length
const std = (values: ReadonlyArray<number>) => {
  const m = mean(values)
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / values.length)
}

const salesConfig = dataConfig({ source: salesSource, lookback: 7, horizon: 2 })

layer(NodeContext.layer)("prepareData", (it) => {
  it.effect("splits 120 rows chronologically 84/18/18 and names the features", () =>
    Effect.gen(function*() {
      const { manifest } = yield* prepareData(salesConfig, fixturesDir)
      expect(manifest.rows).toEqual({ train: 84, val: 18, test: 18 })
      const known = ["day_of_week_sin", "day_of_week_cos", "day_of_year_sin", "day_of_year_cos"]
      expect(manifest.layout.past).toEqual(["units", "temperature", "promo"])
      expect(manifest.layout.known).toEqual(known)
      expect(manifest.layout.steps).toBe(2)
      // each row: past features, then the known-future ones of the next two steps
      expect(manifest.features).toEqual([
        "units",
        "temperature",
        "promo",
        ...known.map((name) => `${name}[+1]`),
        ...known.map((name) => `${name}[+2]`)
      ])
      expect(manifest.target).toBe("units")
      expect(manifest.featureColumns).toEqual(["temperature", "promo"])
      expect(manifest.timeColumn).toBe("date")
      // train targets in [7, 84), val in [84, 102), test in [102, 120); horizon 2
      expect(manifest.counts).toEqual({ train: 76, val: 17, test: 17 })
      expect(manifest.fingerprint).toMatch(/^[0-9a-f]{64}$/)
    }))

  it.effect("fits the standard scaler on the train rows only", () =>
    Effect.gen(function*() {
      const { manifest } = yield* prepareData(salesConfig, fixturesDir)
      const train = (values: ReadonlyArray<number>) => values.slice(0, 84)
      expect(manifest.scaler.kind).toBe("standard")
      expect(manifest.scaler.center[0]).toBeCloseTo(mean(train(units)), 10)
      expect(manifest.scaler.scale[0]).toBeCloseTo(std(train(units)), 10)
      expect(manifest.scaler.center[1]).toBeCloseTo(mean(train(temperature)), 10)
      expect(manifest.scaler.scale[1]).toBeCloseTo(std(train(temperature)), 10)
      expect(manifest.scaler.center[2]).toBeCloseTo(mean(train(promo)), 10)
      // the units trend upward, so the whole-series mean is clearly different
      expect(Math.abs(mean(units) - manifest.scaler.center[0]!)).toBeGreaterThan(5)
      // calendar features are not scaled
      expect(manifest.scaler.center.slice(3)).toEqual([0, 0, 0, 0, 0, 0, 0, 0])
      expect(manifest.scaler.scale.slice(3)).toEqual([1, 1, 1, 1, 1, 1, 1, 1])
    }))

  it.effect("fits minmax on train rows, and none leaves values raw", () =>
    Effect.gen(function*() {
      const minmax = yield* prepareData(dataConfig({ ...salesConfig, scaler: "minmax" }), fixturesDir)
      const trainUnits = units.slice(0, 84)
      expect(minmax.manifest.scaler.center[0]).toBe(Math.min(...trainUnits))
      expect(minmax.manifest.scaler.scale[0]).toBe(Math.max(...trainUnits) - Math.min(...trainUnits))
      const trainY = Array.from(minmax.splits.train.y)
      expect(Math.min(...trainY)).toBeGreaterThanOrEqual(0)
      expect(Math.max(...trainY)).toBeLessThanOrEqual(1)
      const none = yield* prepareData(dataConfig({ ...salesConfig, scaler: "none" }), fixturesDir)
      expect(none.manifest.scaler.center.every((c) => c === 0)).toBe(true)
      expect(none.splits.test.y[0]).toBe(units[102])
    }))

  it.effect("cuts windows whose inputs precede `start` and whose targets begin at it", () =>
    Effect.gen(function*() {
      const { manifest, splits } = yield* prepareData(salesConfig, fixturesDir)
      const [c, s] = [manifest.scaler.center, manifest.scaler.scale]
      const raw = [units, temperature, promo]
      const F = 11
      for (const split of [splits.train, splits.val, splits.test]) {
        const x = splitX(split, 7, F)
        expect(x.length).toBe(split.n * 7 * F)
        expect(split.y.length).toBe(split.n * 2)
        for (let i = 0; i < split.n; i++) {
          const t = split.start[i]!
          for (let j = 0; j < 7; j++) {
            for (let f = 0; f < 3; f++) {
              expect(x[(i * 7 + j) * F + f]).toBe(Math.fround((raw[f]![t - 7 + j]! - c[f]!) / s[f]!))
            }
          }
          for (let k = 0; k < 2; k++) expect(split.y[i * 2 + k]).toBe(Math.fround((units[t + k]! - c[0]!) / s[0]!))
        }
      }
      expect(Array.from(splits.train.start.slice(0, 3))).toEqual([7, 8, 9])
      expect(splits.train.start.at(-1)).toBe(82)
      // val looks back into train; its targets stay inside val
      expect(splits.val.start[0]).toBe(84)
      expect(splits.val.start.at(-1)).toBe(100)
      expect(splits.test.start[0]).toBe(102)
      expect(splits.test.start.at(-1)).toBe(118)
    }))

  it.effect("encodes the calendar of the next `horizon` dates as sin/cos on each row", () =>
    Effect.gen(function*() {
      const { splits } = yield* prepareData(salesConfig, fixturesDir)
      const F = 11
      const x = splitX(splits.train, 7, F)
      const at = (j: number, f: number) => x[j * F + f] // window 0 starts at row 7: j = row
      // row 0 is 2021-01-01 (a Friday); its +1 block is row 1 (Saturday, day 6, day 1 of 365)
      expect(at(0, 3)).toBe(Math.fround(Math.sin((2 * Math.PI * 6) / 7)))
      expect(at(0, 4)).toBe(Math.fround(Math.cos((2 * Math.PI * 6) / 7)))
      expect(at(0, 5)).toBe(Math.fround(Math.sin((2 * Math.PI * 1) / 365)))
      // its +2 block is row 2, a Sunday (day 0)
      expect(at(0, 7)).toBe(0)
      expect(at(0, 8)).toBe(1)
      // the window's last row (row 6) carries the calendar of its two targets, rows 7 and 8
      expect(at(6, 5)).toBe(Math.fround(Math.sin((2 * Math.PI * 7) / 365)))
      expect(at(6, 9)).toBe(Math.fround(Math.sin((2 * Math.PI * 8) / 365)))
    }))

  it.effect("drops calendar features when they are off and honours stride", () =>
    Effect.gen(function*() {
      const cfg = dataConfig({
        ...salesConfig,
        stride: 3,
        calendar: { day_of_week: false, day_of_year: true }
      })
      const { manifest, splits } = yield* prepareData(cfg, fixturesDir)
      expect(manifest.features).toEqual([
        "units",
        "temperature",
        "promo",
        "day_of_year_sin[+1]",
        "day_of_year_cos[+1]",
        "day_of_year_sin[+2]",
        "day_of_year_cos[+2]"
      ])
      expect(Array.from(splits.train.start.slice(0, 4))).toEqual([7, 10, 13, 16])
      expect(splits.train.n).toBe(Math.floor((82 - 7) / 3) + 1)
      expect(Array.from(splits.val.start)).toEqual([84, 87, 90, 93, 96, 99])
    }))

  it.effect("prepares the default config: us-births-1994-2003, and y unscales to series.target[start]", () =>
    Effect.gen(function*() {
      const ds = yield* prepareData(dataConfig({}), fixturesDir)
      expect(ds.manifest.rows).toEqual({ train: 2556, val: 548, test: 548 })
      expect(ds.manifest.counts).toEqual({ train: 2556 - 28, val: 548, test: 548 })
      expect(ds.manifest.features.length).toBe(5)
      expect(ds.series.target.length).toBe(3652)
      expect(ds.series.time[ds.splits.test.start[0]!]).toBe("2002-07-02")
      const back = unscaleTarget(ds.manifest, ds.splits.test.y)
      ds.splits.test.start.forEach((t, i) => {
        expect(Math.abs(back[i]! - ds.series.target[t]!)).toBeLessThan(1e-2)
      })
    }))

  it.effect("fingerprints the series: same data, same hash; other data, other hash", () =>
    Effect.gen(function*() {
      const synthetic = (seed: number) => dataConfig({ source: { kind: "synthetic", seed, length: 300 } })
      const a = yield* prepareData(synthetic(1), fixturesDir)
      const b = yield* prepareData(synthetic(1), fixturesDir)
      const c = yield* prepareData(synthetic(2), fixturesDir)
      expect(a.manifest.fingerprint).toBe(b.manifest.fingerprint)
      expect(a.manifest.fingerprint).not.toBe(c.manifest.fingerprint)
      expect(a.inputs.rows).toEqual(b.inputs.rows)
    }))
})
