import type * as TfModule from "@tensorflow/tfjs"
import { buildKerasModel, getKerasWeights, setKerasWeights, type Tf } from "../model/keras.js"
import { initialWeights } from "./init.js"
import { weightInfos } from "../model/spec.js"
import { checkBatch, type RawEngine } from "./raw.js"
import type { Batch, EngineState, OptimizerSpec, StepResult } from "./types.js"
import type { ModelSpec, NamedTensor } from "../model/spec.js"

/**
 * The same engine interface on a tf.layers model, on whatever tfjs backend is active.
 * Gradients come from tf.variableGrads (tfjs autodiff); the optimizer is written with tf ops
 * (same formulas as the fused engine) so the learning rate can change every step. Dropout
 * uses tfjs' own random masks, so with dropout > 0 it does not match the other engines.
 */
export const makeTfjsEngine = async (tf: Tf, spec: ModelSpec, optimizer: OptimizerSpec, seed: number): Promise<RawEngine> => {
  const model = buildKerasModel(tf, spec)
  setKerasWeights(tf, model, spec, initialWeights(spec, seed))
  const vars: Array<TfModule.Variable> = model.trainableWeights.map((w) => {
    const v = w.read()
    if (!(v instanceof tf.Variable)) throw new Error(`weight ${w.name} is not a variable`)
    return v
  })
  const infos = weightInfos(spec)
  const zeros = (): Array<TfModule.Variable> => vars.map((v) => tf.variable(tf.zerosLike(v), false))
  const m = zeros()
  const v = zeros()
  let optimizerStep = 0

  const lossAndGrads = (batch: Batch): { loss: TfModule.Scalar; grads: Array<TfModule.Tensor> } => {
    checkBatch(batch, spec.lookback, spec.features, spec.outputs)
    const n = batch.size
    return tf.tidy(() => {
      const x = tf.tensor3d(batch.x.subarray(0, n * spec.lookback * spec.features), [n, spec.lookback, spec.features])
      const y = tf.tensor2d(batch.y.subarray(0, n * spec.outputs), [n, spec.outputs])
      const { value, grads } = tf.variableGrads(() => {
        const pred = model.apply(x, { training: true })
        if (Array.isArray(pred) || !(pred instanceof tf.Tensor)) throw new Error("model output is not a tensor")
        return tf.mean(tf.square(tf.sub(pred, y)))
      }, vars)
      return { loss: value, grads: vars.map((w) => grads[w.name]!) }
    })
  }

  const step = async (batch: Batch, lr: number): Promise<StepResult> => {
    const { loss, grads } = lossAndGrads(batch)
    const normT = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))))
    const gradNorm = (await normT.data())[0]!
    normT.dispose()
    const clip = optimizer.clipNorm !== null && gradNorm > optimizer.clipNorm ? optimizer.clipNorm / gradNorm : 1
    optimizerStep += 1
    const { beta1, beta2, epsilon, kind, momentum, weightDecay } = optimizer
    const bc1 = 1 - Math.pow(beta1, optimizerStep)
    const bc2 = 1 - Math.pow(beta2, optimizerStep)
    tf.tidy(() => {
      vars.forEach((w, i) => {
        const g = tf.mul(grads[i]!, clip)
        if (kind === "sgd") {
          m[i]!.assign(tf.add(tf.mul(m[i]!, momentum), g))
          w.assign(tf.sub(w, tf.mul(m[i]!, lr)))
          return
        }
        m[i]!.assign(tf.add(tf.mul(m[i]!, beta1), tf.mul(g, 1 - beta1)))
        v[i]!.assign(tf.add(tf.mul(v[i]!, beta2), tf.mul(tf.square(g), 1 - beta2)))
        const decayed = kind === "adamw" ? tf.mul(w, 1 - lr * weightDecay) : w
        const upd = tf.div(tf.mul(tf.div(m[i]!, bc1), lr), tf.add(tf.sqrt(tf.div(v[i]!, bc2)), epsilon))
        w.assign(tf.sub(decayed, upd))
      })
    })
    grads.forEach((g) => g.dispose())
    const lossValue = (await loss.data())[0]!
    loss.dispose()
    return { loss: lossValue, gradNorm }
  }

  const named = async (tensors: ReadonlyArray<TfModule.Tensor>, suffix: string): Promise<Array<NamedTensor>> => {
    const data = await Promise.all(tensors.map((t) => t.data()))
    return infos.map(({ name, shape }, i) => ({ name: `${name}${suffix}`, shape, data: Float32Array.from(data[i]!) }))
  }

  return {
    name: `tfjs-${tf.getBackend()}`,
    threads: 1,
    step,
    predict: async (x, n) => {
      const chunk = 1024
      const out = new Float32Array(n * spec.outputs)
      const per = spec.lookback * spec.features
      for (let s = 0; s < n; s += chunk) {
        const b = Math.min(chunk, n - s)
        const pred = tf.tidy(() => {
          const p = model.predict(tf.tensor3d(x.subarray(s * per, (s + b) * per), [b, spec.lookback, spec.features]))
          if (Array.isArray(p)) throw new Error("model has several outputs")
          return p
        })
        out.set(await pred.data(), s * spec.outputs)
        pred.dispose()
      }
      return out
    },
    gradients: async (batch) => {
      const { loss, grads } = lossAndGrads(batch)
      const result = { loss: (await loss.data())[0]!, grads: await named(grads, "") }
      loss.dispose()
      grads.forEach((g) => g.dispose())
      return result
    },
    getState: async (): Promise<EngineState> => ({
      weights: await getKerasWeights(model, spec),
      optimizerStep,
      slots: optimizer.kind === "sgd" ? await named(m, "/m") : [...(await named(m, "/m")), ...(await named(v, "/v"))]
    }),
    setState: (state) => {
      setKerasWeights(tf, model, spec, state.weights)
      const byName = new Map(state.slots.map((s) => [s.name, s]))
      infos.forEach(({ name, shape }, i) => {
        for (const [slot, vars_] of [["/m", m], ["/v", v]] as const) {
          const t = byName.get(`${name}${slot}`)
          tf.tidy(() => vars_[i]!.assign(t === undefined ? tf.zeros([...shape]) : tf.tensor(t.data, [...shape])))
        }
      })
      optimizerStep = state.optimizerStep
    },
    close: async () => {
      model.dispose()
      m.forEach((t) => t.dispose())
      v.forEach((t) => t.dispose())
    }
  }
}
