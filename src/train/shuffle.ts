import { Rng } from "../random/Rng.js"

/** Stream key of epoch shuffling, so it never draws the sequence weight init draws from the same seed. */
const SHUFFLE_STREAM = 0x5348

/**
 * The order of the training windows in `epoch`: a Fisher–Yates shuffle seeded by (seed, epoch),
 * so any epoch's order can be recomputed on resume without saving generator state.
 */
export const epochOrder = (n: number, seed: number, epoch: number, shuffle: boolean): Uint32Array => {
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  if (!shuffle) return order
  const rng = new Rng(seed, [SHUFFLE_STREAM, epoch])
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1)
    const t = order[i]!
    order[i] = order[j]!
    order[j] = t
  }
  return order
}
