import { Effect } from "effect"
import { makeEngine } from "../engine/Engine.js"
import type { ModelSpec, NamedTensor } from "../model/spec.js"

/**
 * Predictions of a trained model on the fused engine (one thread, no dropout): the same math the
 * exported tfjs model runs, without importing tfjs.
 */
export const predictWith = (model: { readonly spec: ModelSpec; readonly weights: ReadonlyArray<NamedTensor> }) =>
(x: Float32Array, n: number) =>
  Effect.scoped(
    Effect.gen(function*() {
      const engine = yield* makeEngine({
        kind: "wasm",
        spec: model.spec,
        optimizer: { kind: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, momentum: 0, clipNorm: null },
        seed: 0,
        threads: 1
      })
      const state = yield* engine.getState
      yield* engine.setState({ ...state, weights: model.weights })
      return yield* engine.predict(x, n)
    })
  )
