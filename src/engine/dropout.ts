/**
 * Counter-based dropout randomness: a uniform in [0, 1) from (seed, optimizer step, sample
 * index within the batch, layer, time step, unit). Mirrors `dropoutUniform` in
 * src/engine/assembly/lstm.ts bit for bit, so masks do not depend on engine or thread count.
 */

const fmix = (h: number): number => {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

const combine = (h: number, v: number): number => fmix(h ^ ((Math.imul(v, 0x9e3779b1) + 0x7f4a7c15) | 0))

/** The two 32-bit words of a numeric seed. */
export const seedWords = (seed: number): readonly [number, number] => [seed >>> 0, Math.floor(seed / 4294967296) >>> 0]

/** Uniform in [0, 1) with 24 random bits; a unit is kept when this is >= the dropout rate. */
export const dropoutUniform = (seedLo: number, seedHi: number, step: number, sample: number, layer: number, t: number, unit: number): number => {
  let h = combine(seedLo, seedHi)
  h = combine(h, step >>> 0)
  h = combine(h, sample >>> 0)
  h = combine(h, ((layer << 20) ^ t) >>> 0)
  h = combine(h, unit >>> 0)
  return (h >>> 8) * 5.9604644775390625e-8
}

/** The integer form of `dropoutUniform(...) >= rate`: a unit is kept when its 24 hash bits are >= this. */
export const dropoutThreshold = (rate: number): number => Math.ceil(rate * 16777216)
