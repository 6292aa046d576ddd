import { Rng } from "../random/Rng.js"
import type { SyntheticSource } from "./DataConfig.js"
import { type Panel, type Series, singlePanel } from "./Series.js"
import { dailyTimes, formatTime } from "./time.js"

const DAYS_PER_YEAR = 365.25

/** Stream key of synthetic noise, so it never draws the sequence weight init draws from the same seed. */
const SYNTHETIC_STREAM = 0x5359
/** Sub-streams of a panel: the per-series parameters, and each series' noise. */
const PARAMETER_STREAM = 1
const NOISE_STREAM = 2

/** Human description of a synthetic source, used as the dataset's `source`. */
export const describeSynthetic = (source: typeof SyntheticSource.Type): string =>
  `synthetic ${source.frequency} series (${source.length} rows from ${source.start}, level ${source.level}, trend ${source.trend}, period ${source.period}, amplitude ${source.amplitude}, noise ${source.noise}, seed ${source.seed})`

/**
 * level + trend·t + amplitude·sin(2πt/period) + amplitude/2·sin(2πt/365.25) + noise·N(0, 1),
 * one row per day from `start`; identical for identical settings.
 */
export const generateSynthetic = (source: typeof SyntheticSource.Type): Series => {
  const rng = new Rng(source.seed, [SYNTHETIC_STREAM])
  const values = new Float64Array(source.length)
  for (let t = 0; t < source.length; t++) {
    values[t] = source.level + source.trend * t +
      source.amplitude * Math.sin((2 * Math.PI * t) / source.period) +
      0.5 * source.amplitude * Math.sin((2 * Math.PI * t) / DAYS_PER_YEAR) +
      source.noise * rng.normal()
  }
  const times = dailyTimes(source.start, source.length)
  return {
    description: describeSynthetic(source),
    file: "synthetic",
    timeColumn: "date",
    timeKind: "date",
    times,
    time: Array.from(times, (value) => formatTime("date", value)),
    target: { name: "value", values },
    features: [],
    future: []
  }
}

/** Id of series `s` (0-based) of an `n`-series synthetic panel: s0001, s0002, … (wider past 9999). */
export const syntheticId = (s: number, n: number): string => `s${String(s + 1).padStart(Math.max(4, String(n).length), "0")}`

/**
 * A synthetic panel of `source.series` series on one daily axis. Series s has its own level,
 * trend, amplitude and noise (the configured value times a factor uniform in [0.5, 1.5)) and
 * phase (uniform in [0, 2π)), drawn from the seed:
 * level_s + trend_s·t + amplitude_s·(sin(2πt/period + phase_s) + ½·sin(2πt/365.25 + phase_s)) + noise_s·N(0, 1).
 * Values go straight into one Float64Array per series; the times (and their ISO strings) are
 * shared by all series. One series is exactly `generateSynthetic`.
 */
export const generateSyntheticPanel = (source: typeof SyntheticSource.Type): Panel => {
  const n = source.series
  if (n === 1) return singlePanel(generateSynthetic(source))
  const description = `synthetic panel of ${n} ${source.frequency} series (${source.length} rows each from ${source.start}, level ${source.level}, trend ${source.trend}, period ${source.period}, amplitude ${source.amplitude}, noise ${source.noise}, each scaled per series by a factor in [0.5, 1.5) with its own phase, seed ${source.seed})`
  const ids = Array.from({ length: n }, (_, s) => syntheticId(s, n))
  const times = dailyTimes(source.start, source.length)
  const time = Array.from(times, (value) => formatTime("date", value))
  const parameters = new Rng(source.seed, [SYNTHETIC_STREAM, PARAMETER_STREAM])
  const weekly = (2 * Math.PI) / source.period
  const yearly = (2 * Math.PI) / DAYS_PER_YEAR
  const series = ids.map((id, s): Series => {
    const factor = () => 0.5 + parameters.uniform()
    const level = source.level * factor()
    const trend = source.trend * factor()
    const amplitude = source.amplitude * factor()
    const noise = source.noise * factor()
    const phase = 2 * Math.PI * parameters.uniform()
    const rng = new Rng(source.seed, [SYNTHETIC_STREAM, NOISE_STREAM, s])
    const values = new Float64Array(source.length)
    for (let t = 0; t < source.length; t++) {
      values[t] = level + trend * t + amplitude * (Math.sin(weekly * t + phase) + 0.5 * Math.sin(yearly * t + phase)) +
        noise * rng.normal()
    }
    return {
      description: `series ${id} of the ${description}`,
      file: "synthetic",
      timeColumn: "date",
      timeKind: "date",
      times,
      time,
      target: { name: "value", values },
      features: [],
      future: []
    }
  })
  return { description, file: "synthetic", format: "wide", seriesColumn: undefined, ids, series, statics: [] }
}
