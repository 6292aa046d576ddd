// Fused LSTM training kernels, compiled twice by src/scripts/build-wasm.mjs: once with
// relaxed SIMD (f32x4.relaxed_madd, a hardware FMA where the CPU has one) and once with plain
// SIMD128 (mul + add). The host (src/engine/wasmCore.ts) owns the memory layout: every
// argument is a byte offset into this module's linear memory, every matrix is row-major f32.
// Shapes the host guarantees: column counts N are multiples of 8, "K rows" of mmAtB and unit
// counts are multiples of 4 (the host pads units and features with exact zeros).

/** The first free byte after the module's static data. */
export function heapBase(): usize {
  return __heap_base
}

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c)
  } else {
    return f32x4.add(f32x4.mul(a, b), c)
  }
}

/**
 * Packs a K x N right-hand operand into panels of 8 columns, dst[(p*K + k)*8 + q] = B[k, 8p+q],
 * so the matmul streams it contiguously. B = src[K,N] when trans == 0, B = src[N,K]^T otherwise.
 */
export function packB(src: usize, dst: usize, K: i32, N: i32, trans: i32): void {
  const kb = <usize>K << 2
  const nb = <usize>N << 2
  let d = dst
  for (let p = 0; p < N; p += 8) {
    if (trans) {
      // 8 source rows (p..p+7) of length K: 4x4 transposes, k in steps of 4 (K % 4 == 0)
      const r0 = src + <usize>p * kb
      for (let k: usize = 0; k < kb; k += 16) {
        for (let half: usize = 0; half < 2; half++) {
          const q = r0 + half * (kb << 2) + k
          const v0 = v128.load(q), v1 = v128.load(q + kb), v2 = v128.load(q + 2 * kb), v3 = v128.load(q + 3 * kb)
          const t0 = f32x4.shuffle(v0, v1, 0, 4, 1, 5)
          const t1 = f32x4.shuffle(v2, v3, 0, 4, 1, 5)
          const t2 = f32x4.shuffle(v0, v1, 2, 6, 3, 7)
          const t3 = f32x4.shuffle(v2, v3, 2, 6, 3, 7)
          const o = d + (k << 3) + (half << 4)
          v128.store(o, f32x4.shuffle(t0, t1, 0, 1, 4, 5))
          v128.store(o, f32x4.shuffle(t0, t1, 2, 3, 6, 7), 32)
          v128.store(o, f32x4.shuffle(t2, t3, 0, 1, 4, 5), 64)
          v128.store(o, f32x4.shuffle(t2, t3, 2, 3, 6, 7), 96)
        }
      }
      d += kb << 3
    } else {
      let s = src + (<usize>p << 2)
      for (let k = 0; k < K; k++) {
        v128.store(d, v128.load(s)); v128.store(d, v128.load(s, 16), 16)
        s += nb
        d += 32
      }
    }
  }
}

/** Bytes of scratch that mm needs for an inner dimension K. */
export function mmScratchBytes(K: i32): usize {
  return (<usize>MM_BLOCK * <usize>K) << 2
}

/**
 * Packs rows [i0, i0 + 4*tiles) of A[., K] into 4-row panels, dst[(t*K + k)*4 + r] =
 * A[i0 + 4t + r, k] (a 4x4 transpose per 4 columns), so the matmul reads one contiguous stream.
 */
@inline function packA4(a: usize, dst: usize, i0: i32, tiles: i32, K: i32): void {
  const lda = <usize>K << 2
  let d = dst
  for (let t = 0; t < tiles; t++) {
    const r0 = a + <usize>(i0 + 4 * t) * lda
    for (let k: usize = 0; k < lda; k += 16) {
      const p = r0 + k
      const v0 = v128.load(p), v1 = v128.load(p + lda), v2 = v128.load(p + 2 * lda), v3 = v128.load(p + 3 * lda)
      const t0 = f32x4.shuffle(v0, v1, 0, 4, 1, 5)
      const t1 = f32x4.shuffle(v2, v3, 0, 4, 1, 5)
      const t2 = f32x4.shuffle(v0, v1, 2, 6, 3, 7)
      const t3 = f32x4.shuffle(v2, v3, 2, 6, 3, 7)
      v128.store(d, f32x4.shuffle(t0, t1, 0, 1, 4, 5))
      v128.store(d, f32x4.shuffle(t0, t1, 2, 3, 6, 7), 16)
      v128.store(d, f32x4.shuffle(t2, t3, 0, 1, 4, 5), 32)
      v128.store(d, f32x4.shuffle(t2, t3, 2, 3, 6, 7), 48)
      d += 64
    }
  }
}

/**
 * C[M,N] = init + A[M,K] @ B[K,N] with B packed by packB; init = C when acc != 0, else the row
 * vector `bias` when bias != 0, else zero. Register tile: 4 rows x 8 columns (8 accumulators,
 * two B vectors, one broadcast: 11 of the 16 SIMD registers, so V8 keeps it all in registers).
 * Blocks of MM_BLOCK rows of A are first packed into 4-row panels in `scratch`
 * (mmScratchBytes(K)), so a tile reads A and B as two contiguous streams with constant offsets.
 * Each C element is still summed over k in index order, so packing does not change results.
 */
export function mm(a: usize, b: usize, c: usize, bias: usize, M: i32, K: i32, N: i32, acc: i32, scratch: usize): void {
  const ldc = <usize>N << 2
  const lda = <usize>K << 2
  const M4 = M & ~3
  const panel = <usize>K << 5
  const tileA = <usize>K << 4
  // blocks of MM_BLOCK rows; inside a block, each 8-column panel of B (K*32 bytes) stays in
  // L1 while every 4-row tile of the block passes over it
  for (let i0 = 0; i0 < M4; i0 += MM_BLOCK) {
   const i1 = min(M4, i0 + MM_BLOCK)
   packA4(a, scratch, i0, (i1 - i0) >> 2, K)
   for (let j = 0; j < N; j += 8) {
    const bj = b + <usize>(j >> 3) * panel
    let a0 = scratch
    for (let i = i0; i < i1; i += 4) {
      const cp = c + <usize>i * ldc + (<usize>j << 2)
      let x00: v128, x01: v128, x10: v128, x11: v128, x20: v128, x21: v128, x30: v128, x31: v128
      if (acc) {
        x00 = v128.load(cp); x01 = v128.load(cp, 16)
        x10 = v128.load(cp + ldc); x11 = v128.load(cp + ldc, 16)
        x20 = v128.load(cp + 2 * ldc); x21 = v128.load(cp + 2 * ldc, 16)
        x30 = v128.load(cp + 3 * ldc); x31 = v128.load(cp + 3 * ldc, 16)
      } else if (bias) {
        x00 = v128.load(bias + (<usize>j << 2)); x01 = v128.load(bias + (<usize>j << 2), 16)
        x10 = x00; x11 = x01; x20 = x00; x21 = x01; x30 = x00; x31 = x01
      } else {
        x00 = f32x4.splat(0); x01 = x00; x10 = x00; x11 = x00; x20 = x00; x21 = x00; x30 = x00; x31 = x00
      }
      let ap = a0
      let bp = bj
      const bEnd = bj + panel
      while (bp < bEnd) {
        const b0 = v128.load(bp)
        const b1 = v128.load(bp, 16)
        let s = v128.load32_splat(ap)
        x00 = madd(s, b0, x00); x01 = madd(s, b1, x01)
        s = v128.load32_splat(ap, 4)
        x10 = madd(s, b0, x10); x11 = madd(s, b1, x11)
        s = v128.load32_splat(ap, 8)
        x20 = madd(s, b0, x20); x21 = madd(s, b1, x21)
        s = v128.load32_splat(ap, 12)
        x30 = madd(s, b0, x30); x31 = madd(s, b1, x31)
        bp += 32
        ap += 16
      }
      v128.store(cp, x00); v128.store(cp, x01, 16)
      v128.store(cp + ldc, x10); v128.store(cp + ldc, x11, 16)
      v128.store(cp + 2 * ldc, x20); v128.store(cp + 2 * ldc, x21, 16)
      v128.store(cp + 3 * ldc, x30); v128.store(cp + 3 * ldc, x31, 16)
      a0 += tileA
    }
   }
  }
  for (let i = M4; i < M; i++) {
    const a0 = a + <usize>i * lda
    const c0 = c + <usize>i * ldc
    let bp = b
    for (let j = 0; j < N; j += 8) {
      const cp = c0 + (<usize>j << 2)
      let x00: v128, x01: v128
      if (acc) {
        x00 = v128.load(cp); x01 = v128.load(cp, 16)
      } else if (bias) {
        x00 = v128.load(bias + (<usize>j << 2)); x01 = v128.load(bias + (<usize>j << 2), 16)
      } else {
        x00 = f32x4.splat(0); x01 = x00
      }
      for (let k = 0; k < K; k++) {
        const s = v128.load32_splat(a0 + (<usize>k << 2))
        x00 = madd(s, v128.load(bp), x00); x01 = madd(s, v128.load(bp, 16), x01)
        bp += 32
      }
      v128.store(cp, x00); v128.store(cp, x01, 16)
    }
  }
}

const MM_BLOCK = 32

/** Bytes of scratch that mmCat needs: 4-row panels of all rows of [x | h]. */
export function catScratchBytes(M: i32, K: i32): usize {
  return (<usize>((M + 3) & ~3) * <usize>K) << 2
}

/** Transposes 4 rows of 4 floats (v0..v3 at p, p+ld, ...) into dst as [k][r]; rows >= rows are zeros. */
@inline function pack4x4(p: usize, ld: usize, rows: i32, d: usize): void {
  const zero = f32x4.splat(0)
  const v0 = v128.load(p)
  const v1 = rows > 1 ? v128.load(p + ld) : zero
  const v2 = rows > 2 ? v128.load(p + 2 * ld) : zero
  const v3 = rows > 3 ? v128.load(p + 3 * ld) : zero
  const t0 = f32x4.shuffle(v0, v1, 0, 4, 1, 5)
  const t1 = f32x4.shuffle(v2, v3, 0, 4, 1, 5)
  const t2 = f32x4.shuffle(v0, v1, 2, 6, 3, 7)
  const t3 = f32x4.shuffle(v2, v3, 2, 6, 3, 7)
  v128.store(d, f32x4.shuffle(t0, t1, 0, 1, 4, 5))
  v128.store(d, f32x4.shuffle(t0, t1, 2, 3, 6, 7), 16)
  v128.store(d, f32x4.shuffle(t2, t3, 0, 1, 4, 5), 32)
  v128.store(d, f32x4.shuffle(t2, t3, 2, 3, 6, 7), 48)
}

/**
 * One forward time step's gate pre-activations: C[M,N] = bias + [x | h] @ B where x is
 * [M,K1], h is [M,K2] (h == 0: zeros, the first step) and B is the packed [K1+K2, N]
 * concatenation of kernel and recurrent kernel (adjacent in the parameter layout). Each
 * element is summed bias first, then k in index order: the same FMA chain as the input
 * projection followed by the recurrent matmul accumulating into it, so results are identical
 * to that two-pass form, while C is written once instead of read back from a T-step buffer.
 */
export function mmCat(x: usize, h: usize, b: usize, c: usize, bias: usize, M: i32, K1: i32, K2: i32, N: i32, scratch: usize): void {
  const K = K1 + K2
  const ldc = <usize>N << 2
  const ldx = <usize>K1 << 2
  const ldh = <usize>K2 << 2
  const panel = <usize>K << 5
  const tileA = <usize>K << 4
  // pack all rows, 4 at a time, into [tile][k][r] (missing rows of the last tile are zeros)
  let d = scratch
  for (let i = 0; i < M; i += 4) {
    const rows = min(4, M - i)
    const xr = x + <usize>i * ldx
    for (let k: usize = 0; k < ldx; k += 16) {
      pack4x4(xr + k, ldx, rows, d)
      d += 64
    }
    if (h) {
      const hr = h + <usize>i * ldh
      for (let k: usize = 0; k < ldh; k += 16) {
        pack4x4(hr + k, ldh, rows, d)
        d += 64
      }
    } else {
      memory.fill(d, 0, ldh << 2)
      d += ldh << 2
    }
  }
  for (let j = 0; j < N; j += 8) {
    const bj = b + <usize>(j >> 3) * panel
    const x00 = v128.load(bias + (<usize>j << 2)), x01 = v128.load(bias + (<usize>j << 2), 16)
    let a0 = scratch
    for (let i = 0; i < M; i += 4) {
      const cp = c + <usize>i * ldc + (<usize>j << 2)
      let y00 = x00, y01 = x01, y10 = x00, y11 = x01, y20 = x00, y21 = x01, y30 = x00, y31 = x01
      let ap = a0
      let bp = bj
      const bEnd = bj + panel
      while (bp < bEnd) {
        const b0 = v128.load(bp)
        const b1 = v128.load(bp, 16)
        let s = v128.load32_splat(ap)
        y00 = madd(s, b0, y00); y01 = madd(s, b1, y01)
        s = v128.load32_splat(ap, 4)
        y10 = madd(s, b0, y10); y11 = madd(s, b1, y11)
        s = v128.load32_splat(ap, 8)
        y20 = madd(s, b0, y20); y21 = madd(s, b1, y21)
        s = v128.load32_splat(ap, 12)
        y30 = madd(s, b0, y30); y31 = madd(s, b1, y31)
        bp += 32
        ap += 16
      }
      const rows = M - i
      v128.store(cp, y00); v128.store(cp, y01, 16)
      if (rows > 1) { v128.store(cp + ldc, y10); v128.store(cp + ldc, y11, 16) }
      if (rows > 2) { v128.store(cp + 2 * ldc, y20); v128.store(cp + 2 * ldc, y21, 16) }
      if (rows > 3) { v128.store(cp + 3 * ldc, y30); v128.store(cp + 3 * ldc, y31, 16) }
      a0 += tileA
    }
  }
}

/** Bytes of scratch that mmAtB needs for K and N. */
export function atbScratchBytes(K: i32, N: i32): usize {
  return (<usize>ATB_BLOCK * <usize>(K + N)) << 2
}

const ATB_BLOCK = 64

/**
 * C[K,N] = (acc ? C : 0) + A[M,K]^T @ B[M,N] (weight gradients: activations^T x gate grads).
 * Works on blocks of ATB_BLOCK rows: each block of B is packed into 8-column panels and each
 * block of A into 4-column panels in `scratch`, then every 4 x 8 tile of C streams both
 * contiguously; rows are summed in index order, so the result does not depend on blocking.
 */
export function mmAtB(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32, acc: i32, scratch: usize): void {
  const ldb = <usize>N << 2
  const lda = <usize>K << 2
  const pa = scratch
  const pb = scratch + ((<usize>ATB_BLOCK * <usize>K) << 2)
  if (!acc) memory.fill(c, 0, (<usize>K * <usize>N) << 2)
  for (let m0 = 0; m0 < M; m0 += ATB_BLOCK) {
    const mb = min(M - m0, ATB_BLOCK)
    for (let j = 0; j < N; j += 8) {
      let src = b + <usize>m0 * ldb + (<usize>j << 2)
      let dst = pb + ((<usize>j * <usize>mb) << 2)
      for (let m = 0; m < mb; m++) {
        v128.store(dst, v128.load(src)); v128.store(dst, v128.load(src, 16), 16)
        src += ldb; dst += 32
      }
    }
    for (let k = 0; k < K; k += 4) {
      let src = a + <usize>m0 * lda + (<usize>k << 2)
      let dst = pa + ((<usize>k * <usize>mb) << 2)
      for (let m = 0; m < mb; m++) {
        v128.store(dst, v128.load(src))
        src += lda; dst += 16
      }
    }
    for (let k = 0; k < K; k += 4) {
      const c0 = c + <usize>k * ldb
      const ak = pa + ((<usize>k * <usize>mb) << 2)
      for (let j = 0; j < N; j += 8) {
        const cp = c0 + (<usize>j << 2)
        let x00 = v128.load(cp), x01 = v128.load(cp, 16)
        let x10 = v128.load(cp + ldb), x11 = v128.load(cp + ldb, 16)
        let x20 = v128.load(cp + 2 * ldb), x21 = v128.load(cp + 2 * ldb, 16)
        let x30 = v128.load(cp + 3 * ldb), x31 = v128.load(cp + 3 * ldb, 16)
        let ap = ak
        let bp = pb + ((<usize>j * <usize>mb) << 2)
        const bEnd = bp + (<usize>mb << 5)
        while (bp < bEnd) {
          const b0 = v128.load(bp)
          const b1 = v128.load(bp, 16)
          let s = v128.load32_splat(ap)
          x00 = madd(s, b0, x00); x01 = madd(s, b1, x01)
          s = v128.load32_splat(ap, 4)
          x10 = madd(s, b0, x10); x11 = madd(s, b1, x11)
          s = v128.load32_splat(ap, 8)
          x20 = madd(s, b0, x20); x21 = madd(s, b1, x21)
          s = v128.load32_splat(ap, 12)
          x30 = madd(s, b0, x30); x31 = madd(s, b1, x31)
          ap += 16
          bp += 32
        }
        v128.store(cp, x00); v128.store(cp, x01, 16)
        v128.store(cp + ldb, x10); v128.store(cp + ldb, x11, 16)
        v128.store(cp + 2 * ldb, x20); v128.store(cp + 2 * ldb, x21, 16)
        v128.store(cp + 3 * ldb, x30); v128.store(cp + 3 * ldb, x31, 16)
      }
    }
  }
}

// The constants live in static memory as whole vectors: V8 rematerialises every v128 constant
// inside the loop (a 64-bit immediate move plus two shuffles, three instructions each, and
// spills under register pressure), whereas a vector load folds into the arithmetic instruction.
const C_LO: i32 = 0, C_HI: i32 = 1, C_MAGIC: i32 = 2, C_LOG2E: i32 = 3, C_LN2HI: i32 = 4, C_LN2LO: i32 = 5
const C_P0: i32 = 6, C_P1: i32 = 7, C_P2: i32 = 8, C_P3: i32 = 9, C_P4: i32 = 10, C_P5: i32 = 11
const C_ONE: i32 = 12, C_TWO: i32 = 13
const CONSTS = memory.data<f32>([
  -87.0, -87.0, -87.0, -87.0,
  88.0, 88.0, 88.0, 88.0,
  12582912.0, 12582912.0, 12582912.0, 12582912.0,
  1.44269504088896341, 1.44269504088896341, 1.44269504088896341, 1.44269504088896341,
  0.693359375, 0.693359375, 0.693359375, 0.693359375,
  -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, -2.12194440e-4,
  1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4,
  1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3,
  8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3,
  4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2,
  1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1,
  5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1,
  1.0, 1.0, 1.0, 1.0,
  2.0, 2.0, 2.0, 2.0
], 16)
const EXP_BIAS = memory.data<i32>([127 - 0x4b400000, 127 - 0x4b400000, 127 - 0x4b400000, 127 - 0x4b400000], 16)

@inline function kc(i: i32): v128 {
  return v128.load(CONSTS + (<usize>i << 4))
}

// exp(x) for f32 lanes, after Cephes expf: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two
// for an exact reduction), e^r by a degree-6 minimax polynomial, 2^n built in the exponent
// bits. Relative error about 2 ulp (< 3e-7) on the clamped range [-87, 88]. n is rounded with
// the 1.5*2^23 "magic number" add, which leaves n in the low mantissa bits, so neither
// f32x4.nearest nor the slow trunc_sat conversion is needed; pmin/pmax are single
// instructions where min/max need NaN fix-ups.
@inline function vexp(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, kc(C_LO)), kc(C_HI))
  const magic = kc(C_MAGIC)
  const nm = madd(x, kc(C_LOG2E), magic)
  const n = f32x4.sub(nm, magic)
  let r = f32x4.sub(x, f32x4.mul(n, kc(C_LN2HI)))
  r = f32x4.sub(r, f32x4.mul(n, kc(C_LN2LO)))
  let p = kc(C_P0)
  p = madd(p, r, kc(C_P1))
  p = madd(p, r, kc(C_P2))
  p = madd(p, r, kc(C_P3))
  p = madd(p, r, kc(C_P4))
  p = madd(p, r, kc(C_P5))
  const e = f32x4.add(madd(p, f32x4.mul(r, r), r), kc(C_ONE))
  // bits(nm) = 0x4B400000 + n  =>  (bits(nm) - 0x4B400000 + 127) << 23 = bits(2^n)
  const pow2 = i32x4.shl(i32x4.add(nm, v128.load(EXP_BIAS)), 23)
  return f32x4.mul(e, pow2)
}

@inline function vsigmoid(x: v128): v128 {
  const one = kc(C_ONE)
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))))
}

// tanh(x) = 1 - 2 / (e^{2x} + 1): absolute error ~1e-7 (relative error grows only for |x| < 1e-3).
@inline function vtanh(x: v128): v128 {
  const one = kc(C_ONE)
  return f32x4.sub(one, f32x4.div(kc(C_TWO), f32x4.add(vexp(f32x4.add(x, x)), one)))
}

/**
 * One LSTM time step after the gate pre-activations z[B,4U] (gates i, f, c, o) are complete:
 * activates z in place, c = f*cPrev + i*g, tc = tanh(c), h = o*tc. cPrev == 0 means zeros.
 * Two passes per row: the four gate activations first (independent chains), then the cell.
 * One fused pass is latency-bound: an iteration's critical path (an activation, then tanh of
 * the new cell) is ~150 cycles of dependent divides and FMAs, more than the reorder buffer
 * can overlap; split, each pass's iterations are short and overlap freely.
 */
export function gatesForward(z: usize, cPrev: usize, c: usize, tc: usize, h: usize, B: i32, U: i32): void {
  const ub = <usize>U << 2
  for (let b = 0; b < B; b++) {
    const zr = z + <usize>b * (ub << 2)
    const off = <usize>b * ub
    for (let j: usize = 0; j < ub; j += 16) {
      const zi = zr + j
      v128.store(zi, vsigmoid(v128.load(zi)))
      v128.store(zi + ub, vsigmoid(v128.load(zi + ub)))
      v128.store(zi + 2 * ub, vtanh(v128.load(zi + 2 * ub)))
      v128.store(zi + 3 * ub, vsigmoid(v128.load(zi + 3 * ub)))
    }
    for (let j: usize = 0; j < ub; j += 16) {
      const zi = zr + j
      let cc = f32x4.mul(v128.load(zi), v128.load(zi + 2 * ub))
      if (cPrev) cc = madd(v128.load(zi + ub), v128.load(cPrev + off + j), cc)
      const t = vtanh(cc)
      v128.store(c + off + j, cc)
      v128.store(tc + off + j, t)
      v128.store(h + off + j, f32x4.mul(v128.load(zi + 3 * ub), t))
    }
  }
}

/**
 * Backward through one time step. gates[B,4U] are the activations, dh = dhIn + dhRec (either
 * may be 0 = absent), dc carries dL/dc from step t+1 in and to step t-1 out (in place), dG[B,4U]
 * receives dL/d(pre-activations).
 */
export function gatesBackward(gates: usize, cPrev: usize, tc: usize, dhIn: usize, dhRec: usize, dc: usize, dG: usize, B: i32, U: i32): void {
  const ub = <usize>U << 2
  const one = f32x4.splat(1.0)
  for (let b = 0; b < B; b++) {
    const gr = gates + <usize>b * (ub << 2)
    const dr = dG + <usize>b * (ub << 2)
    const off = <usize>b * ub
    for (let j: usize = 0; j < ub; j += 16) {
      let dh = f32x4.splat(0)
      if (dhIn) dh = v128.load(dhIn + off + j)
      if (dhRec) dh = f32x4.add(dh, v128.load(dhRec + off + j))
      const gi = v128.load(gr + j)
      const gf = v128.load(gr + j + ub)
      const gg = v128.load(gr + j + 2 * ub)
      const go = v128.load(gr + j + 3 * ub)
      const t = v128.load(tc + off + j)
      const dho = f32x4.mul(dh, go)
      const dct = madd(dho, f32x4.sub(one, f32x4.mul(t, t)), v128.load(dc + off + j))
      const cp = cPrev ? v128.load(cPrev + off + j) : f32x4.splat(0)
      v128.store(dr + j, f32x4.mul(f32x4.mul(dct, gg), f32x4.mul(gi, f32x4.sub(one, gi))))
      v128.store(dr + j + ub, f32x4.mul(f32x4.mul(dct, cp), f32x4.mul(gf, f32x4.sub(one, gf))))
      v128.store(dr + j + 2 * ub, f32x4.mul(f32x4.mul(dct, gi), f32x4.sub(one, f32x4.mul(gg, gg))))
      v128.store(dr + j + 3 * ub, f32x4.mul(f32x4.mul(dh, t), f32x4.mul(go, f32x4.sub(one, go))))
      v128.store(dc + off + j, f32x4.mul(dct, gf))
    }
  }
}

/** dst[N] = (acc ? dst : 0) + column sums of src[M,N], row by row (dst stays in L1). */
export function colSum(src: usize, dst: usize, M: i32, N: i32, acc: i32): void {
  const ld = <usize>N << 2
  if (!acc) memory.fill(dst, 0, ld)
  let p = src
  for (let m = 0; m < M; m++) {
    for (let j: usize = 0; j < ld; j += 16) v128.store(dst + j, f32x4.add(v128.load(dst + j), v128.load(p + j)))
    p += ld
  }
}

/** dst[n] = a[n] * b[n], n a multiple of 4. */
export function mulInto(dst: usize, a: usize, b: usize, n: i32): void {
  const end = <usize>n << 2
  for (let i: usize = 0; i < end; i += 16) v128.store(dst + i, f32x4.mul(v128.load(a + i), v128.load(b + i)))
}

/** dst[n] += src[n], n a multiple of 4. */
export function addInto(dst: usize, src: usize, n: i32): void {
  const end = <usize>n << 2
  for (let i: usize = 0; i < end; i += 16) v128.store(dst + i, f32x4.add(v128.load(dst + i), v128.load(src + i)))
}

/** p[n] *= s. */
export function scale(p: usize, n: i32, s: f32): void {
  const end = <usize>n << 2
  for (let i: usize = 0; i < end; i += 4) store<f32>(p + i, load<f32>(p + i) * s)
}

/** Sum of squares of p[n], accumulated in f64 in index order. */
export function sumSquares(p: usize, n: i32): f64 {
  let s: f64 = 0
  const end = <usize>n << 2
  for (let i: usize = 0; i < end; i += 4) {
    const v = <f64>load<f32>(p + i)
    s += v * v
  }
  return s
}

/**
 * Reorders x[B,T,F] (a batch as given) into dst[T,B,Fp], zero-filling the padded features,
 * so that each time step's rows are contiguous.
 */
export function packInput(src: usize, dst: usize, B: i32, T: i32, F: i32, Fp: i32): void {
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const s = src + ((<usize>b * <usize>T + <usize>t) * <usize>F << 2)
      const d = dst + ((<usize>t * <usize>B + <usize>b) * <usize>Fp << 2)
      for (let f = 0; f < F; f++) store<f32>(d + (<usize>f << 2), load<f32>(s + (<usize>f << 2)))
      for (let f = F; f < Fp; f++) store<f32>(d + (<usize>f << 2), 0)
    }
  }
}

@inline function fmix(h: u32): u32 {
  h ^= h >> 16
  h *= 0x85ebca6b
  h ^= h >> 13
  h *= 0xc2b2ae35
  h ^= h >> 16
  return h
}

@inline function combine(h: u32, v: u32): u32 {
  return fmix(h ^ (v * 0x9e3779b1 + 0x7f4a7c15))
}

/** Counter-based uniform in [0,1) with 24 random bits; mirrored exactly by src/engine/dropout.ts. */
export function dropoutUniform(seedLo: u32, seedHi: u32, step: u32, sample: u32, layer: u32, t: u32, unit: u32): f64 {
  let h = combine(seedLo, seedHi)
  h = combine(h, step)
  h = combine(h, sample)
  h = combine(h, (layer << 20) ^ t)
  h = combine(h, unit)
  return <f64>(h >> 8) * 5.9604644775390625e-8
}

/**
 * Inverted-dropout mask for steps t0 .. t0+T-1, laid out [T,B,Up]: keepScale where the unit survives, 0 where it is dropped or
 * padded. `sample0` is the global index of this chunk's first sample.
 */
export function dropoutMask(mask: usize, t0: i32, T: i32, B: i32, U: i32, Up: i32, seedLo: u32, seedHi: u32, step: u32, sample0: u32, layer: u32, rate: f64, keepScale: f32): void {
  let p = mask
  for (let t = t0; t < t0 + T; t++) {
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < Up; j++) {
        let v: f32 = 0
        if (j < U && dropoutUniform(seedLo, seedHi, step, sample0 + <u32>b, layer, <u32>t, <u32>j) >= rate) v = keepScale
        store<f32>(p, v)
        p += 4
      }
    }
  }
}

/**
 * Dense head on the last hidden state: pred[B,O] = hl[B,Up] @ wd[Up,O] + bd[O]. When y != 0 it
 * also returns the sum of squared errors and writes dL/dwd, dL/dbd (overwritten) and
 * dL/dhl, with dL/dpred = gradScale * (pred - y).
 */
export function head(hl: usize, wd: usize, bd: usize, pred: usize, y: usize, B: i32, Up: i32, O: i32, gradScale: f32, dwd: usize, dbd: usize, dhl: usize): f64 {
  let sse: f64 = 0
  if (y) {
    memory.fill(dwd, 0, (<usize>Up * <usize>O) << 2)
    memory.fill(dbd, 0, <usize>O << 2)
  }
  for (let b = 0; b < B; b++) {
    const hr = hl + ((<usize>b * <usize>Up) << 2)
    for (let o = 0; o < O; o++) {
      let s = load<f32>(bd + (<usize>o << 2))
      for (let k = 0; k < Up; k++) s += load<f32>(hr + (<usize>k << 2)) * load<f32>(wd + ((<usize>k * <usize>O + <usize>o) << 2))
      store<f32>(pred + ((<usize>b * <usize>O + <usize>o) << 2), s)
    }
    if (y) {
      const dr = dhl + ((<usize>b * <usize>Up) << 2)
      for (let k = 0; k < Up; k++) store<f32>(dr + (<usize>k << 2), 0)
      for (let o = 0; o < O; o++) {
        const e = load<f32>(pred + ((<usize>b * <usize>O + <usize>o) << 2)) - load<f32>(y + ((<usize>b * <usize>O + <usize>o) << 2))
        sse += <f64>e * <f64>e
        const d = gradScale * e
        store<f32>(dbd + (<usize>o << 2), load<f32>(dbd + (<usize>o << 2)) + d)
        for (let k = 0; k < Up; k++) {
          const wk = wd + ((<usize>k * <usize>O + <usize>o) << 2)
          const dk = dwd + ((<usize>k * <usize>O + <usize>o) << 2)
          store<f32>(dk, load<f32>(dk) + load<f32>(hr + (<usize>k << 2)) * d)
          store<f32>(dr + (<usize>k << 2), load<f32>(dr + (<usize>k << 2)) + load<f32>(wk) * d)
        }
      }
    }
  }
  return sse
}

/**
 * Adam / AdamW over n parameters (tf.train.adam semantics): m = b1 m + (1-b1) g,
 * v = b2 v + (1-b2) g^2, w -= lrHat * m / (sqrt(v * c2) + eps) with lrHat = lr / (1 - b1^t) and
 * c2 = 1 / (1 - b2^t), i.e. epsilon added to the bias-corrected sqrt(v) as Keras does.
 * decay = lr * weightDecay (AdamW, applied to w before the Adam step; 0 for Adam).
 */
export function adam(w: usize, g: usize, m: usize, v: usize, n: i32, lrHat: f32, c2: f32, b1: f32, b2: f32, eps: f32, decay: f32): void {
  const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2)
  const vc1 = f32x4.splat(1 - b1), vc2 = f32x4.splat(1 - b2)
  const vlr = f32x4.splat(lrHat), vbc2 = f32x4.splat(c2), veps = f32x4.splat(eps)
  const vkeep = f32x4.splat(1 - decay)
  const end = <usize>n << 2
  let i: usize = 0
  for (; i + 16 <= end; i += 16) {
    const gg = v128.load(g + i)
    const mm_ = f32x4.add(f32x4.mul(vb1, v128.load(m + i)), f32x4.mul(vc1, gg))
    const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + i)), f32x4.mul(vc2, f32x4.mul(gg, gg)))
    v128.store(m + i, mm_)
    v128.store(v + i, vv)
    const den = f32x4.add(f32x4.sqrt(f32x4.mul(vv, vbc2)), veps)
    const ww = f32x4.mul(v128.load(w + i), vkeep)
    v128.store(w + i, f32x4.sub(ww, f32x4.div(f32x4.mul(vlr, mm_), den)))
  }
  for (; i < end; i += 4) {
    const gg = load<f32>(g + i)
    const mm_ = b1 * load<f32>(m + i) + (1 - b1) * gg
    const vv = b2 * load<f32>(v + i) + (1 - b2) * gg * gg
    store<f32>(m + i, mm_)
    store<f32>(v + i, vv)
    store<f32>(w + i, load<f32>(w + i) * (1 - decay) - lrHat * mm_ / (Mathf.sqrt(vv * c2) + eps))
  }
}

/** SGD with momentum (tf.train.momentum): m = momentum m + g; w -= lr m. */
export function sgd(w: usize, g: usize, m: usize, n: i32, lr: f32, momentum: f32): void {
  const end = <usize>n << 2
  for (let i: usize = 0; i < end; i += 4) {
    const mm_ = momentum * load<f32>(m + i) + load<f32>(g + i)
    store<f32>(m + i, mm_)
    store<f32>(w + i, load<f32>(w + i) - lr * mm_)
  }
}
