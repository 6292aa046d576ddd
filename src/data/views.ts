/**
 * The scaled model inputs of every series, stored once: row-major [rows, features] Float32,
 * the series one after another. A window is a view (series, start) into it — its inputs are
 * the `lookback` contiguous rows before `start` of its series — and is copied out only when a
 * batch is drawn, so memory grows with the rows, never with lookback × windows.
 */
export interface WindowInputs {
  /** Row-major [rows, features] scaled inputs of all series. */
  readonly rows: Float32Array
  readonly features: number
  /** First row of each series in `rows`, plus the total row count at the end (length series + 1). */
  readonly offsets: Int32Array
}

/** Windows of one split: views into the dataset's inputs, and their scaled targets. */
export interface Split {
  readonly n: number
  /** [n, horizon] scaled targets. */
  readonly y: Float32Array
  /** Row (within its series) of each window's first target step; its inputs are rows start-lookback .. start-1. */
  readonly start: Int32Array
  /** Series index of each window. */
  readonly series: Int32Array
  /** Copies the inputs of windows `indices[from .. from+count)` into `out` as [count, lookback, features]. */
  readonly gather: (indices: ArrayLike<number>, from: number, count: number, out: Float32Array) => void
}

/** The split over windows (series[i], start[i]) of `inputs` with `lookback` input rows each. */
export const makeSplit = (
  inputs: WindowInputs,
  lookback: number,
  y: Float32Array,
  start: Int32Array,
  series: Int32Array
): Split => {
  const width = lookback * inputs.features
  return {
    n: start.length,
    y,
    start,
    series,
    gather: (indices, from, count, out) => {
      for (let i = 0; i < count; i++) {
        const w = indices[from + i]!
        const first = (inputs.offsets[series[w]!]! + start[w]! - lookback) * inputs.features
        out.set(inputs.rows.subarray(first, first + width), i * width)
      }
    }
  }
}

/** Window indices 0 .. n-1, for gathering a split in order. */
export const inOrder = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i)

/** The inputs of windows from .. from+count-1 (in order) as a new [count, lookback, features] array. */
export const windowsX = (split: Split, lookback: number, features: number, from: number, count: number): Float32Array => {
  const out = new Float32Array(count * lookback * features)
  split.gather(inOrder(split.n), from, count, out)
  return out
}
