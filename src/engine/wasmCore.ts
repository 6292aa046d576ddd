import { readFileSync } from "node:fs"
import { seedWords } from "./dropout.js"
import { paramLayout, type ParamLayout } from "./params.js"
import type { OptimizerSpec } from "./types.js"
import type { ModelSpec } from "../model/spec.js"
import { wasmApi, type WasmMemory, type WasmModule } from "./wasmApi.js"

/** The exports of src/engine/assembly/lstm.ts (all pointers are byte offsets). */
interface Kernels {
  readonly memory: WasmMemory
  readonly heapBase: () => number
  readonly packB: (src: number, dst: number, K: number, N: number, trans: number) => void
  readonly mm: (a: number, b: number, c: number, bias: number, M: number, K: number, N: number, acc: number, scratch: number) => void
  readonly mmScratchBytes: (K: number) => number
  readonly catScratchBytes: (M: number, K: number) => number
  readonly mmCat: (x: number, h: number, b: number, c: number, bias: number, M: number, K1: number, K2: number, N: number, scratch: number) => void
  readonly atbScratchBytes: (K: number, N: number) => number
  readonly mmAtB: (a: number, b: number, c: number, M: number, K: number, N: number, acc: number, scratch: number) => void
  readonly gatesForward: (z: number, cPrev: number, c: number, tc: number, h: number, B: number, U: number) => void
  readonly gatesBackward: (gates: number, cPrev: number, tc: number, dhIn: number, dhRec: number, dc: number, dG: number, B: number, U: number) => void
  readonly colSum: (src: number, dst: number, M: number, N: number, acc: number) => void
  readonly mulInto: (dst: number, a: number, b: number, n: number) => void
  readonly addInto: (dst: number, src: number, n: number) => void
  readonly scale: (p: number, n: number, s: number) => void
  readonly sumSquares: (p: number, n: number) => number
  readonly packInput: (src: number, dst: number, B: number, T: number, F: number, Fp: number) => void
  readonly dropoutMask: (mask: number, t0: number, T: number, B: number, U: number, Up: number, seedLo: number, seedHi: number, step: number, sample0: number, layer: number, rate: number, keepScale: number) => void
  readonly head: (hl: number, wd: number, bd: number, pred: number, y: number, B: number, Up: number, O: number, gradScale: number, dwd: number, dbd: number, dhl: number) => number
  readonly adam: (w: number, g: number, m: number, v: number, n: number, lrHat: number, c2: number, b1: number, b2: number, eps: number, decay: number) => void
  readonly sgd: (w: number, g: number, m: number, n: number, lr: number, momentum: number) => void
}

const KERNEL_NAMES = ["heapBase", "packB", "mm", "mmScratchBytes", "catScratchBytes", "mmCat", "atbScratchBytes", "mmAtB", "gatesForward", "gatesBackward", "colSum", "mulInto", "addInto", "scale", "sumSquares", "packInput", "dropoutMask", "head", "adam", "sgd"] as const

/** Compiles a kernels module from a .wasm file. */
export const compileKernels = (path: string): WasmModule => new wasmApi.Module(readFileSync(path))

const instantiate = (module: WasmModule): Kernels => {
  const instance = new wasmApi.Instance(module, {
    env: {
      abort: () => {
        throw new Error("lstm kernels aborted")
      }
    }
  })
  const ex = instance.exports
  const memory = ex["memory"]
  if (!(memory instanceof wasmApi.Memory)) throw new Error("lstm kernels: module exports no memory")
  const fns: Record<string, unknown> = { memory }
  for (const name of KERNEL_NAMES) {
    const f = ex[name]
    if (typeof f !== "function") throw new Error(`lstm kernels: module lacks export ${name}`)
    fns[name] = f
  }
  return fns as unknown as Kernels
}

const align = (n: number): number => Math.ceil(n / 64) * 64

interface LayerBuffers {
  z: number
  c: number
  tc: number
  h: number
  mask: number
  y: number
  dG: number
  dHin: number
}

interface LayerPacks {
  /** [kernel; recurrent kernel] as one [inp + up, 4up] operand (adjacent in the layout). */
  fused: number
  recurrentT: number
  kernelT: number
}

/** Result of forward + backward over one chunk of a batch. */
export interface ChunkResult {
  /** Sum of squared errors over the chunk (not yet averaged). */
  readonly sse: number
}

/**
 * One instance of the wasm kernels with its own linear memory, holding a model's padded
 * parameters, gradients and optimizer slots at the front and the activations of up to
 * `capacity` samples behind them. Memory grows only when a larger chunk than ever before
 * arrives, never inside a step. Used in-process and by each worker thread.
 */
export class WasmCore {
  private readonly k: Kernels
  readonly layout: ParamLayout
  private readonly T: number
  private readonly F: number
  private readonly Fp: number
  private readonly O: number
  private readonly L: number
  readonly params: number
  readonly grads: number
  private readonly slotM: number
  private readonly slotV: number
  /** Where another chunk's gradients are copied before they are added (addGrads). */
  private readonly gradsIn: number
  private readonly packs: Array<LayerPacks> = []
  private readonly scratch: number
  private readonly actBase: number
  private capacity = 0
  private xRaw = 0
  private yRaw = 0
  private x0 = 0
  private pred = 0
  private dhl = 0
  private dhTop = 0
  private dhRec = 0
  private dc = 0
  private catScratch = 0
  private layers: Array<LayerBuffers> = []
  private f32: Float32Array

  constructor(module: WasmModule, readonly spec: ModelSpec) {
    this.k = instantiate(module)
    this.layout = paramLayout(spec)
    this.T = spec.lookback
    this.F = spec.features
    this.Fp = this.layout.layers[0]!.inp
    this.O = spec.outputs
    this.L = spec.units.length
    const P = this.layout.size
    let off = align(this.k.heapBase())
    const take = (floats: number): number => {
      const at = off
      off = align(off + floats * 4)
      return at
    }
    this.params = take(P)
    this.grads = take(P)
    this.slotM = take(P)
    this.slotV = take(P)
    this.gradsIn = take(P)
    let scratchBytes = 0
    for (const L of this.layout.layers) {
      this.packs.push({
        fused: take((L.inp + L.up) * 4 * L.up),
        recurrentT: take(4 * L.up * L.up),
        kernelT: take(4 * L.up * L.inp)
      })
      scratchBytes = Math.max(scratchBytes, this.k.atbScratchBytes(L.inp, 4 * L.up), this.k.atbScratchBytes(L.up, 4 * L.up), this.k.mmScratchBytes(L.inp), this.k.mmScratchBytes(4 * L.up), this.k.mmScratchBytes(L.up))
    }
    this.scratch = take(scratchBytes / 4)
    this.actBase = off
    this.f32 = new Float32Array(this.k.memory.buffer)
    this.ensureMemory(off)
    this.f32.fill(0, this.params / 4, this.actBase / 4)
  }

  private ensureMemory(bytes: number): void {
    const have = this.k.memory.buffer.byteLength
    if (bytes > have) this.k.memory.grow(Math.ceil((bytes - have) / 65536))
    if (this.f32.buffer !== this.k.memory.buffer) this.f32 = new Float32Array(this.k.memory.buffer)
  }

  /** Lays out activation buffers for chunks of up to n samples (grows memory when needed). */
  ensureCapacity(n: number): void {
    if (n <= this.capacity) return
    const B = Math.max(n, 8)
    const T = this.T
    let off = this.actBase
    const take = (floats: number): number => {
      const at = off
      off = align(off + floats * 4)
      return at
    }
    this.xRaw = take(B * T * this.F)
    this.yRaw = take(B * this.O)
    this.x0 = take(T * B * this.Fp)
    this.pred = take(B * this.O)
    const top = this.layout.topUp
    this.dhl = take(B * top)
    this.dhTop = take(B * top)
    const maxUp = Math.max(...this.layout.layers.map((l) => l.up))
    this.dhRec = take(B * maxUp)
    this.dc = take(B * maxUp)
    const maxK = Math.max(...this.layout.layers.map((l) => l.inp + l.up))
    this.catScratch = take(this.k.catScratchBytes(B, maxK) / 4)
    const dropout = this.spec.dropout > 0
    this.layers = this.layout.layers.map((L, l) => {
      const z = take(T * B * 4 * L.up)
      const c = take(T * B * L.up)
      const tc = take(T * B * L.up)
      const h = take(T * B * L.up)
      const mask = dropout ? take(T * B * L.up) : 0
      const y = dropout ? take(T * B * L.up) : h
      const dG = take(T * B * 4 * L.up)
      const dHin = l < this.L - 1 ? take(T * B * L.up) : 0
      return { z, c, tc, h, mask, y, dG, dHin }
    })
    this.ensureMemory(off)
    this.capacity = B
  }

  /** The padded parameters (a live view; invalid after the memory grows). */
  paramsView(): Float32Array {
    return this.f32.subarray(this.params / 4, this.params / 4 + this.layout.size)
  }

  /** The gradients of the last forwardBackward (a live view). */
  gradsView(): Float32Array {
    return this.f32.subarray(this.grads / 4, this.grads / 4 + this.layout.size)
  }

  /** Adam m / momentum slot (a live view). */
  slotMView(): Float32Array {
    return this.f32.subarray(this.slotM / 4, this.slotM / 4 + this.layout.size)
  }

  /** Adam v slot (a live view). */
  slotVView(): Float32Array {
    return this.f32.subarray(this.slotV / 4, this.slotV / 4 + this.layout.size)
  }

  /** Replaces the parameters and repacks the matmul operands. */
  setParams(flat: Float32Array): void {
    this.f32.set(flat.subarray(0, this.layout.size), this.params / 4)
    this.repack()
  }

  /** Rebuilds the panel-packed (and transposed) weight copies the matmuls read. */
  repack(): void {
    this.layout.layers.forEach((L, l) => {
      const p = this.packs[l]!
      const kern = this.params + L.kernel * 4
      const rec = this.params + L.recurrent * 4
      this.k.packB(kern, p.fused, L.inp + L.up, 4 * L.up, 0)
      this.k.packB(rec, p.recurrentT, 4 * L.up, L.up, 1)
      if (l > 0) this.k.packB(kern, p.kernelT, 4 * L.up, L.inp, 1)
    })
  }

  private forward(B: number, training: boolean, step: number, sample0: number, seed: number): void {
    const k = this.k
    const T = this.T
    k.packInput(this.xRaw, this.x0, B, T, this.F, this.Fp)
    const rate = this.spec.dropout
    const [seedLo, seedHi] = seedWords(seed)
    const keep = 1 / (1 - rate)
    this.layout.layers.forEach((L, l) => {
      const buf = this.layers[l]!
      const p = this.packs[l]!
      const G = 4 * L.up
      const xin = l === 0 ? this.x0 : this.layers[l - 1]!.y
      const zStride = B * G * 4
      const hStride = B * L.up * 4
      const xStride = B * L.inp * 4
      const bias = this.params + L.bias * 4
      for (let t = 0; t < T; t++) {
        const zt = buf.z + t * zStride
        // z_t = bias + [x_t | h_{t-1}] @ [kernel; recurrent], one pass per step
        k.mmCat(xin + t * xStride, t > 0 ? buf.h + (t - 1) * hStride : 0, p.fused, zt, bias, B, L.inp, L.up, G, this.catScratch)
        k.gatesForward(zt, t > 0 ? buf.c + (t - 1) * hStride : 0, buf.c + t * hStride, buf.tc + t * hStride, buf.h + t * hStride, B, L.up)
      }
      if (buf.mask !== 0) {
        const top = l === this.L - 1
        if (training && rate > 0) {
          // the top layer feeds the head through its last step only
          const t0 = top ? T - 1 : 0
          const from = t0 * hStride
          k.dropoutMask(buf.mask + from, t0, T - t0, B, L.units, L.up, seedLo, seedHi, step, sample0, l, rate, keep)
          k.mulInto(buf.y + from, buf.h + from, buf.mask + from, (T - t0) * B * L.up)
        } else {
          this.f32.copyWithin(buf.y / 4, buf.h / 4, buf.h / 4 + T * B * L.up)
        }
      }
    })
  }

  private lastTop(B: number): number {
    const top = this.layers[this.L - 1]!
    return top.y + (this.T - 1) * B * this.layout.topUp * 4
  }

  /**
   * Forward and backward over one chunk whose x and y were written by loadChunk. `total` is
   * the whole batch size (the loss is a mean over all chunks), `sample0` the index of the
   * chunk's first sample in the batch (for dropout masks). Gradients land in gradsView().
   */
  forwardBackward(B: number, total: number, sample0: number, step: number, seed: number): ChunkResult {
    const k = this.k
    const T = this.T
    this.forward(B, true, step, sample0, seed)
    const lay = this.layout
    const top = lay.topUp
    const sse = k.head(this.lastTop(B), this.params + lay.denseKernel * 4, this.params + lay.denseBias * 4, this.pred, this.yRaw, B, top, this.O, 2 / (total * this.O), this.grads + lay.denseKernel * 4, this.grads + lay.denseBias * 4, this.dhl)
    const topBuf = this.layers[this.L - 1]!
    let dhTop = this.dhl
    if (topBuf.mask !== 0) {
      k.mulInto(this.dhTop, this.dhl, topBuf.mask + (T - 1) * B * top * 4, B * top)
      dhTop = this.dhTop
    }
    for (let l = this.L - 1; l >= 0; l--) {
      const L = lay.layers[l]!
      const buf = this.layers[l]!
      const p = this.packs[l]!
      const G = 4 * L.up
      const zStride = B * G * 4
      const hStride = B * L.up * 4
      this.f32.fill(0, this.dc / 4, this.dc / 4 + B * L.up)
      for (let t = T - 1; t >= 0; t--) {
        const dhIn = l === this.L - 1 ? (t === T - 1 ? dhTop : 0) : buf.dHin + t * hStride
        k.gatesBackward(buf.z + t * zStride, t > 0 ? buf.c + (t - 1) * hStride : 0, buf.tc + t * hStride, dhIn, t < T - 1 ? this.dhRec : 0, this.dc, buf.dG + t * zStride, B, L.up)
        if (t > 0) k.mm(buf.dG + t * zStride, p.recurrentT, this.dhRec, 0, B, G, L.up, 0, this.scratch)
      }
      // weight gradients as single big matmuls over all (t, b) rows
      const xin = l === 0 ? this.x0 : this.layers[l - 1]!.y
      k.mmAtB(buf.h, buf.dG + zStride, this.grads + L.recurrent * 4, (T - 1) * B, L.up, G, 0, this.scratch)
      k.mmAtB(xin, buf.dG, this.grads + L.kernel * 4, T * B, L.inp, G, 0, this.scratch)
      k.colSum(buf.dG, this.grads + L.bias * 4, T * B, G, 0)
      if (l > 0) {
        const below = this.layers[l - 1]!
        k.mm(buf.dG, p.kernelT, below.dHin, 0, T * B, G, L.inp, 0, this.scratch)
        if (below.mask !== 0) k.mulInto(below.dHin, below.dHin, below.mask, T * B * L.inp)
      }
    }
    return { sse }
  }

  /** Copies a chunk of a batch (x [n, T, F], y [n, O] or null) into the module. */
  loadChunk(x: Float32Array, y: Float32Array | null, n: number): void {
    this.ensureCapacity(n)
    this.f32.set(x.subarray(0, n * this.T * this.F), this.xRaw / 4)
    if (y !== null) this.f32.set(y.subarray(0, n * this.O), this.yRaw / 4)
  }

  /** Predictions [n, O] for x [n, T, F] without dropout, in chunks of the current capacity. */
  predict(x: Float32Array, n: number): Float32Array {
    this.ensureCapacity(Math.min(Math.max(n, 1), 256))
    const out = new Float32Array(n * this.O)
    const per = this.T * this.F
    const lay = this.layout
    for (let s = 0; s < n; s += this.capacity) {
      const B = Math.min(this.capacity, n - s)
      this.f32.set(x.subarray(s * per, (s + B) * per), this.xRaw / 4)
      this.forward(B, false, 0, 0, 0)
      this.k.head(this.lastTop(B), this.params + lay.denseKernel * 4, this.params + lay.denseBias * 4, this.pred, 0, B, lay.topUp, this.O, 0, 0, 0, 0)
      out.set(this.f32.subarray(this.pred / 4, this.pred / 4 + B * this.O), s * this.O)
    }
    return out
  }

  /** Adds another chunk's gradients into this core's gradients. */
  addGrads(g: Float32Array): void {
    const P = this.layout.size
    // SIMD add in the module; the same f32 sums as the scalar loop, element by element
    this.f32.set(g.subarray(0, P), this.gradsIn / 4)
    const P4 = P & ~3
    this.k.addInto(this.grads, this.gradsIn, P4)
    const gv = this.gradsView()
    for (let i = P4; i < P; i++) gv[i] = gv[i]! + g[i]!
  }

  /** Global L2 norm of the gradients. */
  gradNorm(): number {
    return Math.sqrt(this.k.sumSquares(this.grads, this.layout.size))
  }

  /** Clips by global norm and applies one optimizer update with the given step number (>= 1). */
  update(opt: OptimizerSpec, lr: number, step: number, norm: number): void {
    const P = this.layout.size
    if (opt.clipNorm !== null && norm > opt.clipNorm) this.k.scale(this.grads, P, opt.clipNorm / norm)
    if (opt.kind === "sgd") {
      this.k.sgd(this.params, this.grads, this.slotM, P, lr, opt.momentum)
    } else {
      const lrHat = lr / (1 - Math.pow(opt.beta1, step))
      const c2 = 1 / (1 - Math.pow(opt.beta2, step))
      const decay = opt.kind === "adamw" ? lr * opt.weightDecay : 0
      this.k.adam(this.params, this.grads, this.slotM, this.slotV, P, lrHat, c2, opt.beta1, opt.beta2, opt.epsilon, decay)
    }
    this.repack()
  }
}
