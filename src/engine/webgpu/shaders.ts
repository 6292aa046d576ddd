import type { ModelSpec } from "../../model/spec.js"
import type { GpuLayout } from "./layout.js"

/** Threads per workgroup of every kernel. */
export const THREADS = 256

/** Tile edge of the weight-gradient matmuls (a 16 x 16 output tile per workgroup). */
export const TILE = 16

/** Most LSTM layers the kernels' metadata table holds. */
export const MAX_LAYERS = 8

/**
 * How the persistent kernels are shaped: samples per workgroup, and the workgroup arrays' size
 * (samples x widest layer, rounded up to a power of two >= 64). The WGSL text depends only on
 * `slots`, so every small model shares one compiled shader (drivers cache it across runs).
 */
export interface KernelShape {
  readonly samplesPerGroup: number
  readonly slots: number
}

/** Samples each persistent workgroup owns: enough gate columns to fill about 256 threads. */
export const kernelShape = (spec: ModelSpec): KernelShape => {
  const umax = Math.max(...spec.units)
  const samplesPerGroup = Math.max(1, Math.floor(THREADS / (4 * umax)))
  let slots = 64
  while (slots < samplesPerGroup * umax) slots *= 2
  return { samplesPerGroup, slots }
}

/** Workgroup (shared) memory in bytes the backward kernel (the largest) needs. */
export const workgroupBytes = (shape: KernelShape): number => 4 * 7 * shape.slots

/** One weight gradient as a matmul over (sample, time) rows: grad[i, j] = sum_rows A[row, i] * B[row, j]. */
interface GradSegment {
  readonly offset: number
  readonly rows: number
  readonly cols: number
  /** Time steps per sample summed over, from t0. */
  readonly steps: number
  readonly t0: number
  /** A: 0 = the batch inputs, 1 = acts[b*SB + aOff + (t - aShift)*aStride + i], 2 = ones. */
  readonly aKind: number
  readonly aOff: number
  readonly aStride: number
  readonly aShift: number
  /** B: 0 = acts[b*SB + bOff + t*bStride + j] (gate gradients), 1 = the loss gradient of the head. */
  readonly bKind: number
  readonly bOff: number
  readonly bStride: number
}

/** Weight-gradient segments in parameter order, with the tiles each one needs. */
export const gradSegments = (spec: ModelSpec, lay: GpuLayout): ReadonlyArray<GradSegment & { readonly tiles: number; readonly tilesN: number }> => {
  const T = spec.lookback
  const segs: Array<GradSegment> = []
  lay.layers.forEach((L, l) => {
    const u4 = 4 * L.units
    const dz = { bKind: 0, bOff: L.gates, bStride: u4 }
    const below = lay.layers[l - 1]
    const input = below === undefined
      ? { aKind: 0, aOff: 0, aStride: 0, aShift: 0 }
      : { aKind: 1, aOff: below.out, aStride: below.units, aShift: 0 }
    segs.push({ offset: L.kernel, rows: L.input, cols: u4, steps: T, t0: 0, ...input, ...dz })
    segs.push({ offset: L.recurrent, rows: L.units, cols: u4, steps: T - 1, t0: 1, aKind: 1, aOff: L.hidden, aStride: L.units, aShift: 1, ...dz })
    segs.push({ offset: L.bias, rows: 1, cols: u4, steps: T, t0: 0, aKind: 2, aOff: 0, aStride: 0, aShift: 0, ...dz })
  })
  const top = lay.layers[lay.layers.length - 1]!
  const head = { bKind: 1, bOff: 0, bStride: 0 }
  const last = { aKind: 1, aOff: top.out + (T - 1) * top.units, aStride: 0, aShift: 0 }
  segs.push({ offset: lay.denseKernel, rows: top.units, cols: spec.outputs, steps: 1, t0: 0, ...last, ...head })
  segs.push({ offset: lay.denseBias, rows: 1, cols: spec.outputs, steps: 1, t0: 0, aKind: 2, aOff: 0, aStride: 0, aShift: 0, ...head })
  return segs.map((s) => {
    const tilesN = Math.ceil(s.cols / TILE)
    return { ...s, tilesN, tiles: Math.ceil(s.rows / TILE) * tilesN }
  })
}

const GLOBAL_WORDS = 16
const LAYER_WORDS = 12
const SEG_WORDS = 16
const SEG_BASE = GLOBAL_WORDS + MAX_LAYERS * LAYER_WORDS
/** vec4s of the metadata uniform. */
export const META_VEC4S = (SEG_BASE + (3 * MAX_LAYERS + 2) * SEG_WORDS) / 4

/** The metadata table the kernels read every size and offset from (u32 words). */
export const metaWords = (spec: ModelSpec, lay: GpuLayout, shape: KernelShape): Uint32Array => {
  const out = new Uint32Array(META_VEC4S * 4)
  const top = lay.layers[lay.layers.length - 1]!
  const segs = gradSegments(spec, lay)
  out.set([
    spec.lookback, spec.features, spec.outputs, lay.layers.length, lay.sampleFloats, lay.headFloats, lay.widest,
    lay.down[0], lay.down[1], lay.size, lay.denseKernel, lay.denseBias, shape.samplesPerGroup, segs.length, top.units, top.out
  ])
  lay.layers.forEach((L, l) => {
    out.set([L.units, L.input, L.kernel, L.recurrent, L.bias, L.gates, L.cell, L.hidden, L.out], GLOBAL_WORDS + l * LAYER_WORDS)
  })
  let start = 0
  segs.forEach((s, i) => {
    out.set([s.offset, s.rows, s.cols, s.steps, s.t0, s.aKind, s.aOff, s.aStride, s.aShift, s.bKind, s.bOff, s.bStride, start, s.tiles, s.tilesN], SEG_BASE + i * SEG_WORDS)
    start += s.tiles
  })
  return out
}

/** WGSL of the kernels (forward, backward, weightGrads, norm, adam, sgd); sizes come from the metadata uniform. */
export const kernelSource = (shape: KernelShape): string => {
  const C = shape.slots
  return `
struct Uni {
  n: u32, step: u32, seedLo: u32, seedHi: u32,
  training: u32, dropThresh: u32, yOff: u32, clip: u32,
  keep: f32, gradScale: f32, invNO: f32, clipNorm: f32,
  lrHat: f32, c2: f32, b1: f32, b2: f32,
  eps: f32, decay: f32, lr: f32, momentum: f32,
}
@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read_write> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> slots: array<f32>;
@group(0) @binding(3) var<storage, read_write> batch: array<f32>;
@group(0) @binding(4) var<storage, read_write> acts: array<f32>;
@group(0) @binding(5) var<storage, read_write> head: array<f32>;
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;
@group(0) @binding(7) var<uniform> u: Uni;
@group(0) @binding(8) var<uniform> tbl: array<vec4u, ${META_VEC4S}>;

fn M(i: u32) -> u32 { return tbl[i >> 2u][i & 3u]; }

fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
// tanh through exp, which saturates to +-1 where a library tanh may overflow to NaN; near 0,
// expm1 by its Taylor series keeps the relative error at float32 rounding
fn tanhf(x: f32) -> f32 {
  let y = 2.0 * x;
  if (abs(y) < 0.5) {
    let em = y * (1.0 + y * (0.5 + y * (1.0 / 6.0 + y * (1.0 / 24.0 + y * (1.0 / 120.0 + y * (1.0 / 720.0 + y * (1.0 / 5040.0 + y / 40320.0)))))));
    return em / (em + 2.0);
  }
  return 1.0 - 2.0 / (exp(y) + 1.0);
}

// the counter hash of src/engine/dropout.ts, bit for bit
fn fmix(h0: u32) -> u32 {
  var h = h0;
  h ^= h >> 16u; h *= 0x85ebca6bu; h ^= h >> 13u; h *= 0xc2b2ae35u; h ^= h >> 16u;
  return h;
}
fn comb(h: u32, v: u32) -> u32 { return fmix(h ^ (v * 0x9e3779b1u + 0x7f4a7c15u)); }
fn mask(b: u32, layer: u32, t: u32, j: u32) -> f32 {
  if (u.training == 0u || u.dropThresh == 0u) { return 1.0; }
  var h = comb(u.seedLo, u.seedHi);
  h = comb(h, u.step);
  h = comb(h, b);
  h = comb(h, (layer << 20u) ^ t);
  h = comb(h, j);
  return select(0.0, u.keep, (h >> 8u) >= u.dropThresh);
}

var<workgroup> zs: array<f32, ${4 * C}>;
var<workgroup> hs: array<f32, ${C}>;
var<workgroup> cs: array<f32, ${C}>;
var<workgroup> dzs: array<f32, ${4 * C}>;
var<workgroup> dhn: array<f32, ${C}>;
var<workgroup> dcn: array<f32, ${C}>;
var<workgroup> dtop: array<f32, ${C}>;
var<workgroup> ta: array<f32, ${TILE * TILE}>;
var<workgroup> tb: array<f32, ${TILE * TILE}>;
var<workgroup> red: array<f32, ${THREADS}>;
var<workgroup> red2: array<f32, ${THREADS}>;

// one workgroup owns S samples and runs every layer over every time step, saving activations
@compute @workgroup_size(${THREADS})
fn forward(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let T = M(0u); let F = M(1u); let O = M(2u); let L = M(3u); let SB = M(4u); let HS = M(5u);
  let S = M(12u);
  let b0 = wg.x * S;
  for (var l = 0u; l < L; l++) {
    let lb = ${GLOBAL_WORDS}u + l * ${LAYER_WORDS}u;
    let U = M(lb); let IN = M(lb + 1u); let KO = M(lb + 2u); let RO = M(lb + 3u); let BO = M(lb + 4u);
    let GO = M(lb + 5u); let CO = M(lb + 6u); let HO = M(lb + 7u); let OO = M(lb + 8u);
    var prevOut = 0u;
    var prevU = 0u;
    if (l > 0u) { prevU = M(lb - ${LAYER_WORDS}u); prevOut = M(lb - ${LAYER_WORDS}u + 8u); }
    let U4 = 4u * U;
    for (var p = lid; p < S * U; p += ${THREADS}u) { hs[p] = 0.0; cs[p] = 0.0; }
    workgroupBarrier();
    for (var t = 0u; t < T; t++) {
      for (var p = lid; p < S * U4; p += ${THREADS}u) {
        let s = p / U4;
        let j = p % U4;
        let b = b0 + s;
        if (b < u.n) {
          var z = params[BO + j];
          if (l == 0u) {
            for (var i = 0u; i < IN; i++) { z += batch[b * T * F + t * F + i] * params[KO + i * U4 + j]; }
          } else {
            for (var i = 0u; i < IN; i++) { z += acts[b * SB + prevOut + t * prevU + i] * params[KO + i * U4 + j]; }
          }
          for (var k = 0u; k < U; k++) { z += hs[s * U + k] * params[RO + k * U4 + j]; }
          zs[p] = select(sigm(z), tanhf(z), j >= 2u * U && j < 3u * U);
        }
      }
      workgroupBarrier();
      for (var p = lid; p < S * U; p += ${THREADS}u) {
        let s = p / U;
        let j = p % U;
        let b = b0 + s;
        if (b < u.n) {
          let zb = s * U4 + j;
          let gi = zs[zb];
          let gf = zs[zb + U];
          let gg = zs[zb + 2u * U];
          let go = zs[zb + 3u * U];
          let c = gf * cs[p] + gi * gg;
          let h = go * tanhf(c);
          cs[p] = c;
          hs[p] = h;
          let base = b * SB;
          let g0 = base + GO + t * U4 + j;
          acts[g0] = gi;
          acts[g0 + U] = gf;
          acts[g0 + 2u * U] = gg;
          acts[g0 + 3u * U] = go;
          acts[base + CO + t * U + j] = c;
          acts[base + HO + t * U + j] = h;
          acts[base + OO + t * U + j] = h * mask(b, l, t, j);
        }
      }
      workgroupBarrier();
    }
    storageBarrier();
    workgroupBarrier();
  }
  let UT = M(14u); let TOP = M(15u); let DK = M(10u); let DB = M(11u);
  for (var p = lid; p < S * O; p += ${THREADS}u) {
    let s = p / O;
    let o = p % O;
    let b = b0 + s;
    if (b < u.n) {
      var pr = params[DB + o];
      for (var k = 0u; k < UT; k++) { pr += acts[b * SB + TOP + (T - 1u) * UT + k] * params[DK + k * O + o]; }
      head[b * HS + o] = pr;
      if (u.training == 1u) {
        let e = pr - batch[u.yOff + b * O + o];
        head[b * HS + O + o] = e * u.gradScale;
        head[b * HS + 2u * O + o] = e * e;
      }
    }
  }
}

// BPTT with the same ownership as forward; the gate gradients overwrite the saved gates
@compute @workgroup_size(${THREADS})
fn backward(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let T = M(0u); let O = M(2u); let L = M(3u); let SB = M(4u); let HS = M(5u); let W = M(6u);
  let S = M(12u); let UT = M(14u); let DK = M(10u);
  let b0 = wg.x * S;
  for (var p = lid; p < S * UT; p += ${THREADS}u) {
    let s = p / UT;
    let k = p % UT;
    let b = b0 + s;
    var d = 0.0;
    if (b < u.n) {
      for (var o = 0u; o < O; o++) { d += params[DK + k * O + o] * head[b * HS + O + o]; }
    }
    dtop[p] = d;
  }
  workgroupBarrier();
  for (var li = 0u; li < L; li++) {
    let l = L - 1u - li;
    let lb = ${GLOBAL_WORDS}u + l * ${LAYER_WORDS}u;
    let U = M(lb); let KO = M(lb + 2u); let RO = M(lb + 3u); let GO = M(lb + 5u); let CO = M(lb + 6u);
    var IN = 0u;
    if (l > 0u) { IN = M(lb + 1u); }
    let U4 = 4u * U;
    let readDown = M(7u + ((l + 1u) & 1u));
    let writeDown = M(7u + (l & 1u));
    for (var p = lid; p < S * U; p += ${THREADS}u) { dhn[p] = 0.0; dcn[p] = 0.0; }
    workgroupBarrier();
    for (var tt = 0u; tt < T; tt++) {
      let t = T - 1u - tt;
      for (var p = lid; p < S * U; p += ${THREADS}u) {
        let s = p / U;
        let j = p % U;
        let b = b0 + s;
        if (b < u.n) {
          let base = b * SB;
          var dOut = 0.0;
          if (l + 1u < L) { dOut = acts[base + readDown + t * W + j]; } else if (t + 1u == T) { dOut = dtop[p]; }
          let dh = dOut * mask(b, l, t, j) + dhn[p];
          let g0 = base + GO + t * U4 + j;
          let gi = acts[g0];
          let gf = acts[g0 + U];
          let gg = acts[g0 + 2u * U];
          let go = acts[g0 + 3u * U];
          let tc = tanhf(acts[base + CO + t * U + j]);
          var cPrev = 0.0;
          if (t > 0u) { cPrev = acts[base + CO + (t - 1u) * U + j]; }
          let dc = dcn[p] + dh * go * (1.0 - tc * tc);
          let di = dc * gg * gi * (1.0 - gi);
          let df = dc * cPrev * gf * (1.0 - gf);
          let dg = dc * gi * (1.0 - gg * gg);
          let dO = dh * tc * go * (1.0 - go);
          dcn[p] = dc * gf;
          let zb = s * U4 + j;
          dzs[zb] = di;
          dzs[zb + U] = df;
          dzs[zb + 2u * U] = dg;
          dzs[zb + 3u * U] = dO;
          acts[g0] = di;
          acts[g0 + U] = df;
          acts[g0 + 2u * U] = dg;
          acts[g0 + 3u * U] = dO;
        }
      }
      workgroupBarrier();
      let Q = U + IN;
      for (var p = lid; p < S * Q; p += ${THREADS}u) {
        let s = p / Q;
        let q = p % Q;
        let b = b0 + s;
        if (b < u.n) {
          var acc = 0.0;
          if (q < U) {
            for (var j = 0u; j < U4; j++) { acc += params[RO + q * U4 + j] * dzs[s * U4 + j]; }
            dhn[s * U + q] = acc;
          } else {
            let i = q - U;
            for (var j = 0u; j < U4; j++) { acc += params[KO + i * U4 + j] * dzs[s * U4 + j]; }
            acts[b * SB + writeDown + t * W + i] = acc;
          }
        }
      }
      workgroupBarrier();
    }
    storageBarrier();
    workgroupBarrier();
  }
}

// every weight gradient as a tiled matmul over (sample, time) rows, in a fixed order
@compute @workgroup_size(${TILE * TILE})
fn weightGrads(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let T = M(0u); let F = M(1u); let O = M(2u); let SB = M(4u); let HS = M(5u); let NS = M(13u);
  let tile = wg.x;
  let tx = lid % ${TILE}u;
  let ty = lid / ${TILE}u;
  var sb = 0u;
  for (var i = 0u; i < NS; i++) {
    let base = ${SEG_BASE}u + i * ${SEG_WORDS}u;
    if (tile >= M(base + 12u) && tile < M(base + 12u) + M(base + 13u)) { sb = base; }
  }
  let OFF = M(sb); let ROWS = M(sb + 1u); let COLS = M(sb + 2u); let STEPS = max(M(sb + 3u), 1u); let T0 = M(sb + 4u);
  let AK = M(sb + 5u); let AO = M(sb + 6u); let AS = M(sb + 7u); let ASH = M(sb + 8u);
  let BK = M(sb + 9u); let BO = M(sb + 10u); let BS = M(sb + 11u);
  let lt = tile - M(sb + 12u);
  let m0 = (lt / M(sb + 14u)) * ${TILE}u;
  let n0 = (lt % M(sb + 14u)) * ${TILE}u;
  let K = u.n * M(sb + 3u);
  var acc = 0.0;
  for (var k0 = 0u; k0 < K; k0 += ${TILE}u) {
    let r = k0 + ty;
    var av = 0.0;
    var bv = 0.0;
    if (r < K) {
      let b = r / STEPS;
      let t = r % STEPS + T0;
      let i = m0 + tx;
      let j = n0 + tx;
      if (i < ROWS) {
        if (AK == 0u) { av = batch[b * T * F + t * F + i]; }
        else if (AK == 1u) { av = acts[b * SB + AO + (t - ASH) * AS + i]; }
        else { av = 1.0; }
      }
      if (j < COLS) {
        if (BK == 0u) { bv = acts[b * SB + BO + t * BS + j]; } else { bv = head[b * HS + O + j]; }
      }
    }
    ta[ty * ${TILE}u + tx] = av;
    tb[ty * ${TILE}u + tx] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < ${TILE}u; kk++) { acc += ta[kk * ${TILE}u + ty] * tb[kk * ${TILE}u + tx]; }
    workgroupBarrier();
  }
  if (m0 + ty < ROWS && n0 + tx < COLS) { grads[OFF + (m0 + ty) * COLS + n0 + tx] = acc; }
}

// loss and global gradient norm in one workgroup: strided partial sums, then a fixed tree
@compute @workgroup_size(${THREADS})
fn norm(@builtin(local_invocation_index) lid: u32) {
  let O = M(2u); let HS = M(5u); let P = M(9u);
  var sq = 0.0;
  for (var i = lid; i < P; i += ${THREADS}u) { let g = grads[i]; sq += g * g; }
  var se = 0.0;
  for (var i = lid; i < u.n * O; i += ${THREADS}u) { se += head[(i / O) * HS + 2u * O + i % O]; }
  red[lid] = sq;
  red2[lid] = se;
  workgroupBarrier();
  for (var w = ${THREADS / 2}u; w > 0u; w >>= 1u) {
    if (lid < w) { red[lid] += red[lid + w]; red2[lid] += red2[lid + w]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let nrm = sqrt(red[0]);
    stats[0] = red2[0] * u.invNO;
    stats[1] = nrm;
    stats[2] = select(1.0, u.clipNorm / nrm, u.clip == 1u && nrm > u.clipNorm);
    stats[3] = 0.0;
  }
}

// clip + one Adam/AdamW step per parameter, the same float32 expression as the wasm kernel
@compute @workgroup_size(${THREADS})
fn adam(@builtin(global_invocation_id) gid: vec3u) {
  let P = M(9u);
  let i = gid.x;
  if (i >= P) { return; }
  let g = grads[i] * stats[2];
  let m = u.b1 * slots[i] + (1.0 - u.b1) * g;
  let v = u.b2 * slots[P + i] + (1.0 - u.b2) * g * g;
  slots[i] = m;
  slots[P + i] = v;
  params[i] = params[i] * (1.0 - u.decay) - u.lrHat * m / (sqrt(v * u.c2) + u.eps);
}

// clip + one SGD-with-momentum step per parameter
@compute @workgroup_size(${THREADS})
fn sgd(@builtin(global_invocation_id) gid: vec3u) {
  let P = M(9u);
  let i = gid.x;
  if (i >= P) { return; }
  let m = u.momentum * slots[i] + grads[i] * stats[2];
  slots[i] = m;
  params[i] = params[i] - u.lr * m;
}
`
}
