import type { ScalerKind } from "./DataConfig.js"

/** Scaling of one column: scaled = (raw - center) / scale. */
export interface ColumnScaler {
  readonly center: number
  readonly scale: number
}

/** The identity scaler (used for `none` and for calendar features, already in [-1, 1]). */
export const identityScaler: ColumnScaler = { center: 0, scale: 1 }

/**
 * Fits a scaler on `values[0 .. rows)` only (the train rows): standard = mean and population
 * standard deviation, minmax = min and (max - min). A constant column gets scale 1.
 */
export const fitScaler = (kind: ScalerKind, values: Float64Array, rows: number): ColumnScaler => {
  if (kind === "none" || rows === 0) return identityScaler
  if (kind === "minmax") {
    let min = Number.POSITIVE_INFINITY
    let max = Number.NEGATIVE_INFINITY
    for (let i = 0; i < rows; i++) {
      min = Math.min(min, values[i]!)
      max = Math.max(max, values[i]!)
    }
    return { center: min, scale: max > min ? max - min : 1 }
  }
  let sum = 0
  for (let i = 0; i < rows; i++) sum += values[i]!
  const mean = sum / rows
  let squares = 0
  for (let i = 0; i < rows; i++) squares += (values[i]! - mean) ** 2
  const std = Math.sqrt(squares / rows)
  return { center: mean, scale: std > 0 ? std : 1 }
}
