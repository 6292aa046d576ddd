/**
 * Per-series inputs that are the same on every row of a series (`series=<id>` one-hots, static
 * columns): row-major [series, width] Float32, stored once per series and appended to each of a
 * window's rows only when its batch is gathered.
 */
export interface StaticInputs {
  /** Row-major [series, width] scaled static inputs. */
  readonly table: Float32Array
  readonly width: number
}

/**
 * The scaled model inputs of every series, stored once: row-major [rows, features] Float32,
 * the series one after another. A window is a view (series, start) into it — its inputs are
 * the `lookback` contiguous rows before `start` of its series, each followed by its series'
 * static inputs — and is copied out only when a batch is drawn, so memory grows with the rows,
 * never with lookback × windows.
 */
export interface WindowInputs {
  /** Row-major [rows, features] scaled inputs of all series (the static inputs are not in it). */
  readonly rows: Float32Array
  /** Values per stored row (the layout's features, without the static inputs). */
  readonly features: number
  /** First row of each series in `rows`, plus the total row count at the end (length series + 1). */
  readonly offsets: Int32Array
  /** Static inputs per series, appended to every gathered row; absent when there are none. */
  readonly statics?: StaticInputs
}

/** Values per gathered input row: the stored features, then the static inputs. */
export const inputWidth = (inputs: WindowInputs): number => inputs.features + (inputs.statics?.width ?? 0)

/** Windows of one split: views into the dataset's inputs, and their scaled targets. */
export interface Split {
  readonly n: number
  /** [n, horizon] scaled targets. */
  readonly y: Float32Array
  /** Row (within its series) of each window's first target step; its inputs are rows start-lookback .. start-1. */
  readonly start: Int32Array
  /** Series index of each window. */
  readonly series: Int32Array
  /** Copies the inputs of windows `indices[from .. from+count)` into `out` as [count, lookback, inputWidth]. */
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
  const features = inputs.features
  const statics = inputs.statics
  const staticWidth = statics?.width ?? 0
  const rowWidth = inputWidth(inputs)
  const width = lookback * rowWidth
  return {
    n: start.length,
    y,
    start,
    series,
    gather: statics === undefined || staticWidth === 0
      ? (indices, from, count, out) => {
        // the window's rows are contiguous: one copy per window
        for (let i = 0; i < count; i++) {
          const w = indices[from + i]!
          const first = (inputs.offsets[series[w]!]! + start[w]! - lookback) * features
          out.set(inputs.rows.subarray(first, first + width), i * width)
        }
      }
      : (indices, from, count, out) => {
        for (let i = 0; i < count; i++) {
          const w = indices[from + i]!
          const s = series[w]!
          const first = inputs.offsets[s]! + start[w]! - lookback
          const own = s * staticWidth
          // element loops, not subarray copies: rows are short, and a view per row costs more than it copies
          for (let r = 0; r < lookback; r++) {
            let at = i * width + r * rowWidth
            const row = (first + r) * features
            for (let f = 0; f < features; f++) out[at++] = inputs.rows[row + f]!
            for (let f = 0; f < staticWidth; f++) out[at++] = statics.table[own + f]!
          }
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
