import { dropoutUniform, seedWords } from "./dropout.js"
import { initialWeights } from "./init.js"
import { weightInfos } from "../model/spec.js"
import { checkBatch, type RawEngine } from "./raw.js"
import type { Batch, EngineState, OptimizerSpec, StepResult } from "./types.js"
import type { ModelSpec, NamedTensor } from "../model/spec.js"

/** Float storage the reference runs in: Float32Array like the engines, Float64Array for gradient checks. */
export type FloatArray = Float32Array | Float64Array

/** Allocates zeroed storage of one precision. */
export type MakeArray<A extends FloatArray> = (n: number) => A

/** Float32 storage. */
export const f32: MakeArray<Float32Array> = (n) => new Float32Array(n)
/** Float64 storage. */
export const f64: MakeArray<Float64Array> = (n) => new Float64Array(n)

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x))

/** Per-call options of a forward/backward pass. */
export interface PassOptions {
  readonly training: boolean
  /** Optimizer step the dropout masks are drawn for. */
  readonly step: number
  readonly seed: number
}

/**
 * The test oracle: the same model as the fused kernels, written as plain per-sample loops over
 * Keras-layout weights (gates i, f, c, o), with exact Math.exp activations.
 */
export class ReferenceModel<A extends FloatArray> {
  /** Weights in weightInfos order (Keras layout). */
  readonly weights: Array<A>

  constructor(readonly spec: ModelSpec, readonly make: MakeArray<A>) {
    this.weights = weightInfos(spec).map(({ shape }) => make(shape.reduce((a, b) => a * b, 1)))
  }

  /** Copies Keras-layout tensors (any order, by name) into the weights. */
  setWeights(tensors: ReadonlyArray<NamedTensor>): void {
    const byName = new Map(tensors.map((t) => [t.name, t]))
    weightInfos(this.spec).forEach(({ name }, i) => {
      const t = byName.get(name)
      if (t === undefined) throw new Error(`missing weight ${name}`)
      if (t.data.length !== this.weights[i]!.length) throw new Error(`weight ${name} has ${t.data.length} values, expected ${this.weights[i]!.length}`)
      this.weights[i]!.set(t.data)
    })
  }

  /**
   * Mean squared error of the batch and, when `grads` is given, its gradient with respect to
   * every weight (written into grads, weightInfos order). `preds` receives [n, outputs].
   */
  pass(x: ArrayLike<number>, y: ArrayLike<number> | null, n: number, opt: PassOptions, grads: Array<A> | null, preds: A | null): number {
    const { features: F, lookback: T, outputs: O, units, dropout } = this.spec
    const L = units.length
    const [seedLo, seedHi] = seedWords(opt.seed)
    const keep = 1 / (1 - dropout)
    const mk = this.make
    grads?.forEach((g) => g.fill(0))
    let sse = 0
    for (let b = 0; b < n; b++) {
      // forward, keeping what backward needs
      const ins: Array<A> = []
      const gates: Array<A> = []
      const cs: Array<A> = []
      const hs: Array<A> = []
      const masks: Array<A> = []
      let input: A = mk(T * F)
      for (let i = 0; i < T * F; i++) input[i] = x[b * T * F + i]!
      let inSize = F
      for (let l = 0; l < L; l++) {
        const u = units[l]!
        const W = this.weights[3 * l]!
        const U = this.weights[3 * l + 1]!
        const bias = this.weights[3 * l + 2]!
        const gate = mk(T * 4 * u)
        const c = mk(T * u)
        const h = mk(T * u)
        const mask = mk(T * u)
        const out = mk(T * u)
        for (let t = 0; t < T; t++) {
          for (let j = 0; j < 4 * u; j++) {
            let z = bias[j]!
            for (let i = 0; i < inSize; i++) z += input[t * inSize + i]! * W[i * 4 * u + j]!
            if (t > 0) for (let k = 0; k < u; k++) z += h[(t - 1) * u + k]! * U[k * 4 * u + j]!
            gate[t * 4 * u + j] = j >= 2 * u && j < 3 * u ? Math.tanh(z) : sigmoid(z)
          }
          for (let j = 0; j < u; j++) {
            const gi = gate[t * 4 * u + j]!
            const gf = gate[t * 4 * u + u + j]!
            const gg = gate[t * 4 * u + 2 * u + j]!
            const go = gate[t * 4 * u + 3 * u + j]!
            const cPrev = t > 0 ? c[(t - 1) * u + j]! : 0
            c[t * u + j] = gf * cPrev + gi * gg
            h[t * u + j] = go * Math.tanh(c[t * u + j]!)
            const m = opt.training && dropout > 0
              ? (dropoutUniform(seedLo, seedHi, opt.step, b, l, t, j) >= dropout ? keep : 0)
              : 1
            mask[t * u + j] = m
            out[t * u + j] = h[t * u + j]! * m
          }
        }
        ins.push(input)
        gates.push(gate)
        cs.push(c)
        hs.push(h)
        masks.push(mask)
        input = out
        inSize = u
      }
      const uTop = units[L - 1]!
      const Wd = this.weights[3 * L]!
      const bd = this.weights[3 * L + 1]!
      const last = (T - 1) * uTop
      const dLast = mk(uTop)
      for (let o = 0; o < O; o++) {
        let p = bd[o]!
        for (let k = 0; k < uTop; k++) p += input[last + k]! * Wd[k * O + o]!
        if (preds !== null) preds[b * O + o] = p
        if (y === null) continue
        const e = p - y[b * O + o]!
        sse += e * e
        if (grads === null) continue
        const d = (2 * e) / (n * O)
        grads[3 * L + 1]![o] = grads[3 * L + 1]![o]! + d
        for (let k = 0; k < uTop; k++) {
          grads[3 * L]![k * O + o] = grads[3 * L]![k * O + o]! + input[last + k]! * d
          dLast[k] = dLast[k]! + Wd[k * O + o]! * d
        }
      }
      if (grads === null || y === null) continue
      // backward through time, layer by layer from the top
      let dOut = mk(T * uTop)
      for (let k = 0; k < uTop; k++) dOut[last + k] = dLast[k]!
      for (let l = L - 1; l >= 0; l--) {
        const u = units[l]!
        const inSz = l === 0 ? F : units[l - 1]!
        const W = this.weights[3 * l]!
        const U = this.weights[3 * l + 1]!
        const gW = grads[3 * l]!
        const gU = grads[3 * l + 1]!
        const gb = grads[3 * l + 2]!
        const gate = gates[l]!
        const c = cs[l]!
        const h = hs[l]!
        const mask = masks[l]!
        const xin = ins[l]!
        const dIn = mk(T * inSz)
        const dhNext = mk(u)
        const dcNext = mk(u)
        const dz = mk(4 * u)
        for (let t = T - 1; t >= 0; t--) {
          for (let j = 0; j < u; j++) {
            const dh = dOut[t * u + j]! * mask[t * u + j]! + dhNext[j]!
            const gi = gate[t * 4 * u + j]!
            const gf = gate[t * 4 * u + u + j]!
            const gg = gate[t * 4 * u + 2 * u + j]!
            const go = gate[t * 4 * u + 3 * u + j]!
            const tc = Math.tanh(c[t * u + j]!)
            const dc = dcNext[j]! + dh * go * (1 - tc * tc)
            const cPrev = t > 0 ? c[(t - 1) * u + j]! : 0
            dz[j] = dc * gg * gi * (1 - gi)
            dz[u + j] = dc * cPrev * gf * (1 - gf)
            dz[2 * u + j] = dc * gi * (1 - gg * gg)
            dz[3 * u + j] = dh * tc * go * (1 - go)
            dcNext[j] = dc * gf
          }
          for (let j = 0; j < 4 * u; j++) {
            const d = dz[j]!
            gb[j] = gb[j]! + d
            for (let i = 0; i < inSz; i++) {
              gW[i * 4 * u + j] = gW[i * 4 * u + j]! + xin[t * inSz + i]! * d
              dIn[t * inSz + i] = dIn[t * inSz + i]! + W[i * 4 * u + j]! * d
            }
            if (t > 0) for (let k = 0; k < u; k++) gU[k * 4 * u + j] = gU[k * 4 * u + j]! + h[(t - 1) * u + k]! * d
          }
          for (let k = 0; k < u; k++) {
            let s = 0
            for (let j = 0; j < 4 * u; j++) s += U[k * 4 * u + j]! * dz[j]!
            dhNext[k] = s
          }
        }
        dOut = dIn
      }
    }
    return sse / (n * O)
  }
}

/** Optimizer slots and update rules shared by the reference engine (Keras/tfjs semantics). */
export class ReferenceOptimizer<A extends FloatArray> {
  readonly m: Array<A>
  readonly v: Array<A>
  step = 0

  constructor(readonly opt: OptimizerSpec, sizes: ReadonlyArray<number>, make: MakeArray<A>) {
    this.m = sizes.map(make)
    this.v = sizes.map(make)
  }

  /** Clips by global norm, then applies one update; returns the norm before clipping. */
  apply(weights: Array<A>, grads: Array<A>, lr: number): number {
    let sq = 0
    for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!
    const norm = Math.sqrt(sq)
    const clip = this.opt.clipNorm !== null && norm > this.opt.clipNorm ? this.opt.clipNorm / norm : 1
    this.step += 1
    const { beta1, beta2, epsilon, kind, momentum, weightDecay } = this.opt
    const bc1 = 1 - Math.pow(beta1, this.step)
    const bc2 = 1 - Math.pow(beta2, this.step)
    weights.forEach((w, p) => {
      const g = grads[p]!
      const m = this.m[p]!
      const v = this.v[p]!
      for (let i = 0; i < w.length; i++) {
        const gi = g[i]! * clip
        if (kind === "sgd") {
          m[i] = momentum * m[i]! + gi
          w[i] = w[i]! - lr * m[i]!
          continue
        }
        m[i] = beta1 * m[i]! + (1 - beta1) * gi
        v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi
        const decayed = kind === "adamw" ? w[i]! * (1 - lr * weightDecay) : w[i]!
        w[i] = decayed - (lr * (m[i]! / bc1)) / (Math.sqrt(v[i]! / bc2) + epsilon)
      }
    })
    return norm
  }
}

const toF32 = (a: FloatArray): Float32Array => (a instanceof Float32Array ? a.slice() : Float32Array.from(a))

/** The reference engine: slow, simple, the oracle the fast engines are tested against. */
export const makeReferenceEngine = <A extends FloatArray>(spec: ModelSpec, optimizer: OptimizerSpec, seed: number, make: MakeArray<A>): RawEngine => {
  const model = new ReferenceModel(spec, make)
  model.setWeights(initialWeights(spec, seed))
  const infos = weightInfos(spec)
  const opt = new ReferenceOptimizer(optimizer, model.weights.map((w) => w.length), make)
  const grads = model.weights.map((w) => make(w.length))
  const run = (batch: Batch): number => {
    checkBatch(batch, spec.lookback, spec.features, spec.outputs)
    return model.pass(batch.x, batch.y, batch.size, { training: true, step: opt.step, seed }, grads, null)
  }
  const named = (arrays: ReadonlyArray<FloatArray>, suffix: string): Array<NamedTensor> =>
    infos.map(({ name, shape }, i) => ({ name: `${name}${suffix}`, shape, data: toF32(arrays[i]!) }))
  const step = async (batch: Batch, lr: number): Promise<StepResult> => {
    const loss = run(batch)
    const gradNorm = opt.apply(model.weights, grads, lr)
    return { loss, gradNorm }
  }
  return {
    name: "reference",
    threads: 1,
    step,
    predict: async (x, n) => {
      const out = make(n * spec.outputs)
      model.pass(x, null, n, { training: false, step: 0, seed }, null, out)
      return toF32(out)
    },
    gradients: async (batch) => {
      const loss = run(batch)
      return { loss, grads: named(grads, "") }
    },
    getState: (): EngineState => ({
      weights: named(model.weights, ""),
      optimizerStep: opt.step,
      slots: optimizer.kind === "sgd" ? named(opt.m, "/m") : [...named(opt.m, "/m"), ...named(opt.v, "/v")]
    }),
    setState: (state) => {
      model.setWeights(state.weights)
      const byName = new Map(state.slots.map((s) => [s.name, s]))
      infos.forEach(({ name }, i) => {
        opt.m[i]!.fill(0)
        opt.v[i]!.fill(0)
        const m = byName.get(`${name}/m`)
        const v = byName.get(`${name}/v`)
        if (m !== undefined) opt.m[i]!.set(m.data)
        if (v !== undefined) opt.v[i]!.set(v.data)
      })
      opt.step = state.optimizerStep
    },
    close: async () => {}
  }
}
