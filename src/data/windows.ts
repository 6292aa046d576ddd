import type { DataConfig } from "./DataConfig.js"
import { firstAtOrAfter } from "./time.js"
import { makeSplit, type Split, type WindowInputs } from "./views.js"

/** The split names, in chronological order. */
export const splitNames = ["train", "val", "test"] as const
/** A split name. */
export type SplitName = (typeof splitNames)[number]

/** Rows [start, end) of the series that belong to a split. */
export interface Region {
  readonly start: number
  readonly end: number
}

/**
 * Chronological regions: train = [0, round(n·train)), val = [that, round(n·(train+val))),
 * test = the rest.
 */
export const splitRegions = (rows: number, split: DataConfig["split"]): Record<SplitName, Region> => {
  const trainEnd = Math.round(rows * split.train)
  const valEnd = Math.max(trainEnd, Math.min(rows, Math.round(rows * (split.train + split.val))))
  return { train: { start: 0, end: trainEnd }, val: { start: trainEnd, end: valEnd }, test: { start: valEnd, end: rows } }
}

const sameValues = (a: Float64Array, b: Float64Array): boolean => {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** The sorted distinct times of two strictly increasing axes. */
const mergeAxes = (a: Float64Array, b: Float64Array): Float64Array => {
  const out = new Float64Array(a.length + b.length)
  let i = 0
  let j = 0
  let n = 0
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i]! : b[j]!
    if (i < a.length && a[i] === next) i++
    if (j < b.length && b[j] === next) j++
    out[n++] = next
  }
  return out.slice(0, n)
}

/**
 * The union time axis of a panel: the sorted distinct times of all series (each strictly
 * increasing). Series on one shared axis (the usual case) cost a comparison each.
 */
export const unionAxis = (axes: ReadonlyArray<Float64Array>): Float64Array => {
  let union = axes[0] ?? new Float64Array(0)
  for (const axis of axes.slice(1)) if (!sameValues(union, axis)) union = mergeAxes(union, axis)
  return union
}

/**
 * The two cut times of a panel: `val` is the first time of the validation split and `test` the
 * first of the test split, at the split fractions of the union axis (as `splitRegions` cuts
 * it); Infinity when a split starts past the last time. Every series is cut at the same times.
 */
export const splitCuts = (axis: Float64Array, split: DataConfig["split"]): { readonly val: number; readonly test: number } => {
  const regions = splitRegions(axis.length, split)
  const at = (row: number) => (row < axis.length ? axis[row]! : Number.POSITIVE_INFINITY)
  return { val: at(regions.val.start), test: at(regions.test.start) }
}

/** A series' rows per split at the panel's cut times: rows before `cuts.val` are train, and so on. */
export const seriesRegions = (times: Float64Array, cuts: { readonly val: number; readonly test: number }): Record<SplitName, Region> => {
  const trainEnd = firstAtOrAfter(times, cuts.val)
  const valEnd = Math.max(trainEnd, firstAtOrAfter(times, cuts.test))
  return { train: { start: 0, end: trainEnd }, val: { start: trainEnd, end: valEnd }, test: { start: valEnd, end: times.length } }
}

/** Where each row of a series sits on the union axis (both strictly increasing; every series time is on it). */
export const axisIndex = (times: Float64Array, axis: Float64Array): Int32Array => {
  const index = new Int32Array(times.length)
  let u = times.length === 0 ? 0 : firstAtOrAfter(axis, times[0]!)
  for (let r = 0; r < times.length; r++) {
    while (axis[u]! < times[r]!) u++
    index[r] = u
  }
  return index
}

/**
 * First target row of each window in a region: the targets [t, t + horizon) lie inside the
 * region; the inputs [t - lookback, t) may reach back into the regions before it.
 */
export const windowStarts = (region: Region, lookback: number, horizon: number, stride: number): Int32Array => {
  const first = Math.max(region.start, lookback)
  const last = region.end - horizon
  if (first > last) return new Int32Array(0)
  const count = Math.floor((last - first) / stride) + 1
  return Int32Array.from({ length: count }, (_, i) => first + i * stride)
}

/** Rows a region needs for one window: lookback + horizon for the first one, horizon after that. */
export const minimumRegionRows = (region: Region, lookback: number, horizon: number): number =>
  region.start >= lookback ? horizon : lookback + horizon - region.start

/**
 * The split of windows starting at `starts[s]` of each series s: views into `inputs`, with their
 * scaled targets (column 0 of the target rows), series by series in order.
 */
export const buildWindows = (
  inputs: WindowInputs,
  starts: ReadonlyArray<Int32Array>,
  lookback: number,
  horizon: number
): Split => {
  const n = starts.reduce((sum, each) => sum + each.length, 0)
  const features = inputs.features
  const y = new Float32Array(n * horizon)
  const start = new Int32Array(n)
  const series = new Int32Array(n)
  let i = 0
  starts.forEach((each, s) => {
    const offset = inputs.offsets[s]!
    for (const t of each) {
      for (let k = 0; k < horizon; k++) y[i * horizon + k] = inputs.rows[(offset + t + k) * features]!
      start[i] = t
      series[i] = s
      i++
    }
  })
  return makeSplit(inputs, lookback, y, start, series)
}
