/** Asynchronous successive halving (the stop variant of Ray Tune's AsyncHyperBandScheduler), as pure functions. */

/** Rung epochs: grace_period · rf^k for k = 0, 1, … while ≤ max_epochs. */
export const rungsOf = (gracePeriod: number, reductionFactor: number, maxEpochs: number): ReadonlyArray<number> => {
  const rungs: Array<number> = []
  for (let r = gracePeriod; r <= maxEpochs; r *= reductionFactor) {
    const epoch = Math.round(r)
    if (rungs.at(-1) !== epoch) rungs.push(epoch)
  }
  return rungs
}

/** The q-th percentile (0..100) with linear interpolation between ranks (numpy's default). */
export const percentile = (values: ReadonlyArray<number>, q: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const rank = (q / 100) * (sorted.length - 1)
  const lo = Math.floor(rank)
  const hi = Math.ceil(rank)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo)
}

/**
 * Whether a trial reporting `value` at a rung is stopped, given the values recorded there before
 * it: outside the top 1/rf of them. The first trial at a rung always continues.
 */
export const ashaPrunes = (
  recorded: ReadonlyArray<number>,
  value: number,
  reductionFactor: number,
  mode: "min" | "max"
): boolean => {
  const finite = recorded.filter(Number.isFinite)
  if (finite.length === 0) return false
  if (!Number.isFinite(value)) return true
  // as a score to maximise: the cutoff is the (1 - 1/rf) quantile of the scores
  const sign = mode === "min" ? -1 : 1
  const cutoff = percentile(finite.map((v) => sign * v), (1 - 1 / reductionFactor) * 100)
  return sign * value < cutoff
}
