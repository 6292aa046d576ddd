import type { SyntheticSource } from "./DataConfig.js"
import type { Series } from "./Series.js"
import { dailyTimes, formatTime } from "./time.js"

/** mulberry32: a small, fast 32-bit PRNG; the same seed always gives the same stream in [0, 1). */
export const mulberry32 = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Standard normal samples from a uniform stream (Box-Muller, both values used). */
export const gaussian = (uniform: () => number): (() => number) => {
  let spare: number | undefined
  return () => {
    if (spare !== undefined) {
      const value = spare
      spare = undefined
      return value
    }
    const u = 1 - uniform() // in (0, 1], so the log is finite
    const v = uniform()
    const radius = Math.sqrt(-2 * Math.log(u))
    spare = radius * Math.sin(2 * Math.PI * v)
    return radius * Math.cos(2 * Math.PI * v)
  }
}

const DAYS_PER_YEAR = 365.25

/** Human description of a synthetic source, used as the dataset's `source`. */
export const describeSynthetic = (source: typeof SyntheticSource.Type): string =>
  `synthetic ${source.frequency} series (${source.length} rows from ${source.start}, level ${source.level}, trend ${source.trend}, period ${source.period}, amplitude ${source.amplitude}, noise ${source.noise}, seed ${source.seed})`

/**
 * level + trend·t + amplitude·sin(2πt/period) + amplitude/2·sin(2πt/365.25) + noise·N(0, 1),
 * one row per day from `start`; identical for identical settings.
 */
export const generateSynthetic = (source: typeof SyntheticSource.Type): Series => {
  const normal = gaussian(mulberry32(source.seed))
  const values = new Float64Array(source.length)
  for (let t = 0; t < source.length; t++) {
    values[t] = source.level + source.trend * t +
      source.amplitude * Math.sin((2 * Math.PI * t) / source.period) +
      0.5 * source.amplitude * Math.sin((2 * Math.PI * t) / DAYS_PER_YEAR) +
      source.noise * normal()
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
    features: []
  }
}
