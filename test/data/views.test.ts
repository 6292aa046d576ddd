import { describe, expect, it } from "@effect/vitest"
import { makeSplit, type WindowInputs, windowsX } from "../../src/data/views.js"

/** A small panel: 3 series of 9, 6 and 12 rows, 2 features; value = series·1000 + row·10 + feature. */
const lengths = [9, 6, 12]
const features = 2
const offsets = Int32Array.from([0, 9, 15, 27])
const inputs: WindowInputs = {
  rows: Float32Array.from({ length: 27 * features }, (_, k) => {
    const row = Math.floor(k / features)
    const series = [0, 1, 2].filter((s) => offsets[s]! <= row).at(-1)!
    return series * 1000 + (row - offsets[series]!) * 10 + (k % features)
  }),
  features,
  offsets
}

/** The naive [windows, lookback, features] copy, built cell by cell from the same rule. */
const materialise = (windows: ReadonlyArray<[number, number]>, lookback: number): Float32Array =>
  Float32Array.from(
    windows.flatMap(([series, start]) =>
      Array.from({ length: lookback * features }, (_, k) => {
        const row = start - lookback + Math.floor(k / features)
        return series * 1000 + row * 10 + (k % features)
      })
    )
  )

describe("window views", () => {
  const lookback = 3
  // every window of every series whose inputs and one target lie inside it
  const windows: Array<[number, number]> = lengths.flatMap((rows, series) =>
    Array.from({ length: rows - lookback }, (_, i): [number, number] => [series, lookback + i])
  )
  const split = makeSplit(
    inputs,
    lookback,
    new Float32Array(windows.length),
    Int32Array.from(windows, ([, start]) => start),
    Int32Array.from(windows, ([series]) => series)
  )

  it("gathers exactly what a naive materialisation holds, never reading across series", () => {
    expect(split.n).toBe(6 + 3 + 9)
    expect(windowsX(split, lookback, features, 0, split.n)).toEqual(materialise(windows, lookback))
    // the first window of series 1 starts at its own row 0, not at the end of series 0
    expect(Array.from(windowsX(split, lookback, features, 6, 1))).toEqual([1000, 1001, 1010, 1011, 1020, 1021])
  })

  it("gathers a shuffled batch into a reused buffer", () => {
    const order = Uint32Array.from([17, 0, 8, 6, 3])
    const out = new Float32Array(10 * lookback * features).fill(-1)
    split.gather(order, 1, 3, out)
    expect(out.subarray(0, 3 * lookback * features)).toEqual(materialise([windows[0]!, windows[8]!, windows[6]!], lookback))
    expect(out[3 * lookback * features]).toBe(-1) // nothing written past the batch
  })

  it("keeps one copy of the inputs: a split holds no input array of its own", () => {
    const bytes = Object.values(split).reduce(
      (sum, value) => sum + (ArrayBuffer.isView(value) ? value.byteLength : 0),
      0
    )
    // y, start and series: 3 × 4 bytes per window, independent of lookback × features
    expect(bytes).toBe(split.n * 12)
  })
})

describe("window views with static inputs", () => {
  const lookback = 3
  const width = 3
  // per series: a one-hot of 2 and a static value -s (series 2 has neither one-hot set)
  const table = Float32Array.from([1, 0, -0, 0, 1, -1, 0, 0, -2])
  const withStatics: WindowInputs = { ...inputs, statics: { table, width } }
  const windows: Array<[number, number]> = [[0, 3], [1, 5], [2, 11], [0, 8], [2, 3]]
  const split = makeSplit(
    withStatics,
    lookback,
    new Float32Array(windows.length),
    Int32Array.from(windows, ([, start]) => start),
    Int32Array.from(windows, ([series]) => series)
  )
  /** The naive copy: each input row, then its series' statics, cell by cell. */
  const naive = (picked: ReadonlyArray<[number, number]>): Float32Array =>
    Float32Array.from(
      picked.flatMap(([series, start]) =>
        Array.from({ length: lookback }, (_, r) => [
          ...Array.from({ length: features }, (_, f) => series * 1000 + (start - lookback + r) * 10 + f),
          ...Array.from(table.subarray(series * width, (series + 1) * width))
        ]).flat()
      )
    )

  it("gathers the rows with their series' statics appended, as a naive materialisation does", () => {
    expect(windowsX(split, lookback, features + width, 0, split.n)).toEqual(naive(windows))
    const out = new Float32Array(4 * lookback * (features + width)).fill(-7)
    split.gather([4, 1, 0], 1, 2, out)
    expect(out.subarray(0, 2 * lookback * (features + width))).toEqual(naive([windows[1]!, windows[0]!]))
    expect(out[2 * lookback * (features + width)]).toBe(-7)
  })

  it("stores the statics once per series: the split adds only y, start and series", () => {
    const bytes = Object.values(split).reduce((sum, value) => sum + (ArrayBuffer.isView(value) ? value.byteLength : 0), 0)
    expect(bytes).toBe(split.n * 12)
    expect(withStatics.rows.length).toBe(27 * features)
  })
})
