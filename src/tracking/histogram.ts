/**
 * TensorFlow's default histogram bucket limits (tsl/lib/histogram/histogram.cc): ±1e-12 growing by
 * 1.1 up to 1e20, then ±DBL_MAX, and 0 in the middle. Bucket i counts values in
 * [limit(i-1), limit(i)).
 */
const defaultLimits: ReadonlyArray<number> = (() => {
  const positive: Array<number> = []
  for (let v = 1e-12; v < 1e20; v *= 1.1) positive.push(v)
  positive.push(Number.MAX_VALUE)
  const negative = positive.map((v) => -v).reverse()
  return [...negative, 0, ...positive]
})()

/** A histogram in HistogramProto's terms. */
export interface Histogram {
  readonly min: number
  readonly max: number
  readonly num: number
  readonly sum: number
  readonly sumSquares: number
  readonly bucketLimit: ReadonlyArray<number>
  readonly bucket: ReadonlyArray<number>
}

/** Index of the first limit greater than `value` (std::upper_bound). */
const upperBound = (limits: ReadonlyArray<number>, value: number): number => {
  let lo = 0
  let hi = limits.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (limits[mid]! <= value) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * Histogram of the finite values with TF's default buckets, encoded as TF does: runs of empty
 * buckets collapse into one (so the proto stays small while keeping TensorBoard's bucket edges).
 */
export const histogramOf = (values: Float32Array): Histogram => {
  const counts = new Float64Array(defaultLimits.length)
  let min = Number.MAX_VALUE
  let max = -Number.MAX_VALUE
  let num = 0
  let sum = 0
  let sumSquares = 0
  for (const v of values) {
    if (!Number.isFinite(v)) continue
    num += 1
    sum += v
    sumSquares += v * v
    if (v < min) min = v
    if (v > max) max = v
    counts[Math.min(upperBound(defaultLimits, v), defaultLimits.length - 1)]! += 1
  }
  const bucketLimit: Array<number> = []
  const bucket: Array<number> = []
  for (let i = 0; i < counts.length;) {
    let end = defaultLimits[i]!
    let count = counts[i]!
    i++
    if (count <= 0) {
      while (i < counts.length && counts[i]! <= 0) {
        end = defaultLimits[i]!
        count = counts[i]!
        i++
      }
    }
    bucketLimit.push(end)
    bucket.push(count)
  }
  return num === 0
    ? { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit, bucket }
    : { min, max, num, sum, sumSquares, bucketLimit, bucket }
}
