import { Schema } from "effect"
import type { ColumnScaler } from "./scaler.js"

/**
 * How one model input row is laid out. The row of time s holds the past features of s (the
 * target, then the CSV feature columns), followed by the known-future features of the `steps`
 * times after it: known(s+1), …, known(s+steps). The last row of a window (s = t-1) therefore
 * carries the known-future features of exactly the `horizon` target steps t … t+horizon-1, and
 * every earlier row carries the same features shifted, so the network can relate each past
 * value to the calendar of the days that followed it.
 */
export const InputLayout = Schema.Struct({
  /** Past features, per row: the target first, then the CSV feature columns. */
  past: Schema.Array(Schema.String),
  /** Known-future features per step: calendar, holidays, then the CSV future columns. */
  known: Schema.Array(Schema.String),
  /** How many steps ahead each row carries the known-future features for (= horizon; 0 when `known` is empty). */
  steps: Schema.Int.pipe(Schema.nonNegative()),
  /** The layout in words, for readers of preprocessing.json. */
  description: Schema.String
})
/** A decoded input layout. */
export type InputLayout = typeof InputLayout.Type

/** The layout for these past and known-future feature names and horizon. */
export const makeLayout = (past: ReadonlyArray<string>, known: ReadonlyArray<string>, horizon: number): InputLayout => {
  const steps = known.length === 0 ? 0 : horizon
  return {
    past: [...past],
    known: [...known],
    steps,
    description: steps === 0
      ? "row s = past(s): the target, then the feature columns"
      : `row s = past(s) then known(s+1) … known(s+${steps}): features = past + known × ${steps}, the known block of step k at offset ${past.length} + (k-1)·${known.length}`
  }
}

/** Feature names of a row in order: the past names, then `name[+k]` for each step k and known name. */
export const layoutFeatureNames = (layout: InputLayout): Array<string> => [
  ...layout.past,
  ...Array.from({ length: layout.steps }, (_, k) => layout.known.map((name) => `${name}[+${k + 1}]`)).flat()
]

/** One feature column in original units on its time axis, with the scaler that applies to it. */
export interface ScaledColumn {
  readonly values: Float64Array
  readonly scaler: ColumnScaler
}

/**
 * Row-major [count, features] scaled inputs for rows from .. from+count-1 of the layout. `past`
 * columns are indexed by row; `known` columns by row too, on an axis at least `steps` longer
 * when the last rows' future is needed (beyond its end a slot is 0: no training window reads it).
 */
export const layoutRows = (
  layout: InputLayout,
  past: ReadonlyArray<ScaledColumn>,
  known: ReadonlyArray<ScaledColumn>,
  from: number,
  count: number
): Float32Array => {
  const matrix = new Float32Array(count * (past.length + known.length * layout.steps))
  layoutRowsInto(layout, past, known, from, count, matrix, 0)
  return matrix
}

/** `layoutRows` written into `out` from row `outRow` on (one series of a panel into the dataset's inputs). */
export const layoutRowsInto = (
  layout: InputLayout,
  past: ReadonlyArray<ScaledColumn>,
  known: ReadonlyArray<ScaledColumn>,
  from: number,
  count: number,
  out: Float32Array,
  outRow: number
): void => {
  const p = past.length
  const k = known.length
  const features = p + k * layout.steps
  const base = outRow * features
  past.forEach(({ scaler, values }, f) => {
    for (let r = 0; r < count; r++) out[base + r * features + f] = (values[from + r]! - scaler.center) / scaler.scale
  })
  known.forEach(({ scaler, values }, j) => {
    for (let step = 1; step <= layout.steps; step++) {
      const f = p + (step - 1) * k + j
      for (let r = 0; r < count; r++) {
        const at = from + r + step
        out[base + r * features + f] = at < values.length ? (values[at]! - scaler.center) / scaler.scale : 0
      }
    }
  })
}

/** The per-feature scalers of the layout, in feature order (a known scaler repeats per step). */
export const layoutScalers = (
  layout: InputLayout,
  past: ReadonlyArray<ColumnScaler>,
  known: ReadonlyArray<ColumnScaler>
): Array<ColumnScaler> => [...past, ...Array.from({ length: layout.steps }, () => known).flat()]
