import { Rng } from "../random/Rng.js"
import type { SyntheticSource } from "./DataConfig.js"
import type { Series } from "./Series.js"
import { dailyTimes, formatTime } from "./time.js"

const DAYS_PER_YEAR = 365.25

/** Stream key of synthetic noise, so it never draws the sequence weight init draws from the same seed. */
const SYNTHETIC_STREAM = 0x5359

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
