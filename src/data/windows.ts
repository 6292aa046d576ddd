import type { DataConfig } from "./DataConfig.js"
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

/** The split of windows starting at `starts` of series 0: views into `inputs`, with their scaled targets (column 0). */
export const buildWindows = (
  inputs: WindowInputs,
  starts: Int32Array,
  lookback: number,
  horizon: number
): Split => {
  const n = starts.length
  const features = inputs.features
  const y = new Float32Array(n * horizon)
  starts.forEach((t, i) => {
    for (let k = 0; k < horizon; k++) y[i * horizon + k] = inputs.rows[(t + k) * features]!
  })
  return makeSplit(inputs, lookback, y, starts, new Int32Array(n))
}
