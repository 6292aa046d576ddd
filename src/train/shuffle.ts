import { mulberry32 } from "../data/synthetic.js"

/**
 * The order of the training windows in `epoch`: a Fisher–Yates shuffle seeded by (seed, epoch),
 * so any epoch's order can be recomputed on resume without saving generator state.
 */
export const epochOrder = (n: number, seed: number, epoch: number, shuffle: boolean): Uint32Array => {
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  if (!shuffle) return order
  const uniform = mulberry32((Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(epoch, 0x85ebca6b)) >>> 0)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1))
    const t = order[i]!
    order[i] = order[j]!
    order[j] = t
  }
  return order
}
