import { NodeContext } from "@effect/platform-node"
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { DataSource } from "../../src/data/DataConfig.js"
import { loadPanel } from "../../src/data/sources.js"
import { generateSynthetic } from "../../src/data/synthetic.js"
import { fixturesDir, salesSource } from "./helpers.js"

const loadOne = (...args: Parameters<typeof loadPanel>) => Effect.map(loadPanel(...args), (panel) => panel.series[0]!)

const source = Schema.decodeUnknownSync(DataSource)

layer(NodeContext.layer)("sources", (it) => {
  it.effect("reads us-births-1994-2003: 3652 days, 1994-01-01 .. 2003-12-31", () =>
    Effect.gen(function*() {
      const series = yield* loadOne(source({ kind: "dataset", name: "us-births-1994-2003" }), fixturesDir)
      expect(series.target.values.length).toBe(3652)
      expect(series.time[0]).toBe("1994-01-01")
      expect(series.time.at(-1)).toBe("2003-12-31")
      expect(series.target.name).toBe("births")
      expect(series.timeColumn).toBe("date")
      expect(series.timeKind).toBe("date")
      // first and last rows of the package's data.csv
      expect(series.target.values[0]).toBe(8096)
      expect(series.target.values[1]).toBe(7772)
      expect(series.target.values.at(-1)).toBe(12374)
      // consecutive days, no gaps
      for (let i = 1; i < series.times.length; i++) expect(series.times[i]! - series.times[i - 1]!).toBe(86_400_000)
      expect(series.file).toMatch(/datasets-cdc-nchs-us-births-1994-2003[/\\]data[/\\]data\.csv$/)
    }))

  it.effect("reads us-births-2000-2014: 5479 days, 2000-01-01 .. 2014-12-31", () =>
    Effect.gen(function*() {
      const series = yield* loadOne(source({ kind: "dataset", name: "us-births-2000-2014" }), fixturesDir)
      expect(series.target.values.length).toBe(5479)
      expect(series.time[0]).toBe("2000-01-01")
      expect(series.time.at(-1)).toBe("2014-12-31")
      expect(series.target.values[0]).toBe(9083)
      expect(series.target.values.at(-1)).toBe(11990)
      expect(series.description).toContain("2000-2014")
    }))

  it.effect("reads a CSV relative to the config directory, with feature columns", () =>
    Effect.gen(function*() {
      const series = yield* loadOne(source(salesSource), fixturesDir)
      expect(series.target.values.length).toBe(120)
      expect(series.time[0]).toBe("2021-01-01")
      expect(series.time.at(-1)).toBe("2021-04-30")
      expect(series.target.name).toBe("units")
      expect(Array.from(series.target.values.slice(0, 3))).toEqual([252, 229, 238])
      expect(series.features.map((c) => c.name)).toEqual(["temperature", "promo"])
      expect(Array.from(series.features[0]!.values.slice(0, 3))).toEqual([-5.3, -5.3, -6.3])
      // 2021-01-01 was a Friday: promo day
      expect(Array.from(series.features[1]!.values.slice(0, 8))).toEqual([1, 0, 0, 0, 0, 0, 0, 1])
    }))

  it.effect("reads numeric times, another delimiter, and no time column", () =>
    Effect.gen(function*() {
      const numeric = yield* loadOne(
        source({ kind: "csv", path: "numeric-time.csv", time_column: "step", target_column: "load", delimiter: ";" }),
        fixturesDir
      )
      expect(numeric.timeKind).toBe("number")
      expect(numeric.time.slice(0, 3)).toEqual(["0", "1", "2"])
      expect(numeric.target.values[11]).toBe(3)
      const untimed = yield* loadOne(
        source({ kind: "csv", path: "numeric-time.csv", target_column: "fan", delimiter: ";" }),
        fixturesDir
      )
      expect(untimed.timeKind).toBe("none")
      expect(untimed.time.every((t) => t === "")).toBe(true)
      expect(untimed.timeColumn).toBeUndefined()
    }))

  it.effect("reads ISO datetimes as UTC and keeps them as full ISO strings", () =>
    Effect.gen(function*() {
      const series = yield* loadOne(
        source({ kind: "csv", path: "hourly.csv", time_column: "time", target_column: "load" }),
        fixturesDir
      )
      expect(series.timeKind).toBe("datetime")
      expect(series.time).toEqual([
        "2021-03-01T22:00:00.000Z",
        "2021-03-01T23:00:00.000Z",
        "2021-03-02T00:00:00.000Z",
        "2021-03-02T01:00:00.000Z"
      ])
    }))

  it.effect("generates the same synthetic series for the same seed", () =>
    Effect.gen(function*() {
      const a = yield* loadOne(source({ kind: "synthetic", seed: 7, length: 500 }), fixturesDir)
      const b = yield* loadOne(source({ kind: "synthetic", seed: 7, length: 500 }), fixturesDir)
      const c = yield* loadOne(source({ kind: "synthetic", seed: 8, length: 500 }), fixturesDir)
      expect(a.target.values).toEqual(b.target.values)
      expect(a.target.values).not.toEqual(c.target.values)
      expect(a.time[0]).toBe("2000-01-01")
      expect(a.time[499]).toBe("2001-05-14")
      expect(a.target.values.length).toBe(500)
    }))
})

describe("synthetic", () => {
  it("is trend + seasonality when noise is 0", () => {
    const cfg = source({ kind: "synthetic", length: 30, noise: 0, level: 5, trend: 0.5, amplitude: 2, period: 4 })
    if (cfg.kind !== "synthetic") throw new Error("expected a synthetic source")
    const series = generateSynthetic(cfg)
    const expected = (t: number) =>
      5 + 0.5 * t + 2 * Math.sin((2 * Math.PI * t) / 4) + 1 * Math.sin((2 * Math.PI * t) / 365.25)
    for (let t = 0; t < 30; t++) expect(series.target.values[t]).toBeCloseTo(expected(t), 12)
  })

  it("has noise with the configured standard deviation", () => {
    const cfg = source({ kind: "synthetic", length: 20000, noise: 3, trend: 0, amplitude: 0, level: 0 })
    if (cfg.kind !== "synthetic") throw new Error("expected a synthetic source")
    const values = generateSynthetic(cfg).target.values
    const mean = values.reduce((s, v) => s + v, 0) / values.length
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length)
    expect(Math.abs(mean)).toBeLessThan(0.1)
    expect(std).toBeGreaterThan(2.9)
    expect(std).toBeLessThan(3.1)
  })
})
