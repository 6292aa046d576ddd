import type { ScalerKind } from "./DataConfig.js"

/** Scaling of one column: scaled = (raw - center) / scale. */
export interface ColumnScaler {
  readonly center: number
  readonly scale: number
}

/** The identity scaler (used for `none` and for calendar features, already in [-1, 1]). */
export const identityScaler: ColumnScaler = { center: 0, scale: 1 }

/** The first `rows` values of one series' column: a scaler is fitted on such prefixes (the train rows). */
export interface Segment {
  readonly values: Float64Array
  readonly rows: number
}

/** Min, max and the largest magnitude over the segments. */
const extremes = (segments: ReadonlyArray<Segment>) => {
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  for (const { rows, values } of segments) {
    for (let i = 0; i < rows; i++) {
      const v = values[i]!
      if (v < min) min = v
      if (v > max) max = v
    }
  }
  return { min, max, magnitude: Math.max(Math.abs(min), Math.abs(max)) }
}

/** True when `values[0 .. rows)` are all the same number (a constant column has nothing to scale). */
export const isConstant = (values: Float64Array, rows: number): boolean => isConstantOver([{ values, rows }])

/** True when the segments hold at least one value and all of them are the same number. */
export const isConstantOver = (segments: ReadonlyArray<Segment>): boolean => {
  const { max, min } = extremes(segments)
  return segments.some((segment) => segment.rows > 0) && max === min
}

/**
 * Fits a scaler on `values[0 .. rows)` only (the train rows): standard = mean and population
 * standard deviation, minmax = min and (max - min). A constant column gets scale 1.
 */
export const fitScaler = (kind: ScalerKind, values: Float64Array, rows: number): ColumnScaler =>
  fitScalerOver(kind, [{ values, rows }])

/**
 * Fits one scaler on all the segments together (the train rows of every series, for a global
 * scaler), as `fitScaler` on their concatenation. The standard statistics are two-pass in
 * float64 over values divided by their largest magnitude, so neither the sum nor the squares can
 * overflow (±1e308 gives a finite mean and std); a non-finite input gives a non-finite result,
 * which the caller rejects.
 */
export const fitScalerOver = (kind: ScalerKind, segments: ReadonlyArray<Segment>): ColumnScaler => {
  const rows = segments.reduce((sum, segment) => sum + segment.rows, 0)
  if (kind === "none" || rows === 0) return identityScaler
  const { magnitude, max, min } = extremes(segments)
  if (!Number.isFinite(magnitude)) return { center: Number.NaN, scale: Number.NaN }
  if (kind === "minmax") {
    // a range past ±1.8e308 is Infinity: the caller rejects it (such values never fit a float32 anyway)
    const range = max - min
    return { center: min, scale: range > 0 ? range : 1 }
  }
  if (magnitude === 0) return { center: 0, scale: 1 }
  let sum = 0
  for (const segment of segments) {
    const values = segment.values
    for (let i = 0; i < segment.rows; i++) sum += values[i]! / magnitude
  }
  const mean = sum / rows
  let squares = 0
  for (const segment of segments) {
    const values = segment.values
    for (let i = 0; i < segment.rows; i++) squares += (values[i]! / magnitude - mean) ** 2
  }
  const std = Math.sqrt(squares / rows) * magnitude
  return { center: mean * magnitude, scale: std > 0 ? std : 1 }
}
