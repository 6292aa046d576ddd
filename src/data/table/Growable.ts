/** A typed array that grows by doubling; `finish` returns an exact-length copy. */
export class Growable<T extends Float64Array | Int32Array> {
  private data: T
  private count = 0

  constructor(private readonly make: (length: number) => T, capacity = 1024) {
    this.data = make(capacity)
  }

  /** Number of values pushed. */
  get length(): number {
    return this.count
  }

  /** Appends one value. */
  push(value: number): void {
    if (this.count === this.data.length) {
      const next = this.make(this.data.length * 2)
      next.set(this.data)
      this.data = next
    }
    this.data[this.count++] = value
  }

  /** The values pushed, in an array of exactly that length. */
  finish(): T {
    const out = this.make(this.count)
    out.set(this.data.subarray(0, this.count))
    return out
  }
}

/** A growable Float64Array. */
export const growableFloat64 = (): Growable<Float64Array> => new Growable((n) => new Float64Array(n))

/** A growable Int32Array. */
export const growableInt32 = (): Growable<Int32Array> => new Growable((n) => new Int32Array(n))
