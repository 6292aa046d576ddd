/**
 * The one seeded generator: xoshiro128** seeded through splitmix32, with a stream key so each use
 * of one seed (weight init, epoch shuffling, synthetic data, bench inputs) draws its own sequence.
 */

const splitmix32 = (state: { s: number }): number => {
  state.s = (state.s + 0x9e3779b9) | 0
  let z = state.s
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

const fmix32 = (h: number): number => {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) | 0
}

/** A deterministic generator of uniform, integer and normal numbers from a numeric seed and stream key. */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number
  private spare: number | null = null

  /**
   * `seed` may use all 53 integer bits; `stream` words (e.g. a purpose tag and an epoch) select
   * an independent sequence of the same seed. No stream gives the sequence weight init uses.
   */
  constructor(seed: number, stream: ReadonlyArray<number> = []) {
    let s = (seed >>> 0) ^ Math.imul(Math.floor(seed / 4294967296) | 0, 0x27d4eb2d)
    for (const word of stream) s = fmix32(s ^ Math.imul((word + 0x7f4a7c15) | 0, 0x9e3779b1))
    const st = { s }
    this.a = splitmix32(st)
    this.b = splitmix32(st)
    this.c = splitmix32(st)
    this.d = splitmix32(st)
  }

  /** Next 32 random bits as an unsigned integer. */
  nextU32(): number {
    const result = Math.imul(((Math.imul(this.b, 5) << 7) | (Math.imul(this.b, 5) >>> 25)), 9) >>> 0
    const t = this.b << 9
    this.c ^= this.a
    this.d ^= this.b
    this.b ^= this.c
    this.a ^= this.d
    this.c ^= t
    this.d = (this.d << 11) | (this.d >>> 21)
    return result
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return (this.nextU32() * 2097152 + (this.nextU32() >>> 11)) / 9007199254740992
  }

  /** Uniform integer in [0, n) for n ≤ 2^53. */
  below(n: number): number {
    return Math.floor(this.uniform() * n)
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare
      this.spare = null
      return s
    }
    let u = this.uniform()
    while (u === 0) u = this.uniform()
    const v = this.uniform()
    const r = Math.sqrt(-2 * Math.log(u))
    this.spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }
}
