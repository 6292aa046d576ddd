import { Effect } from "effect"
import { makeEngine } from "../engine/Engine.js"
import type { ModelSpec, NamedTensor } from "../model/spec.js"
import { nativeSupport } from "./nativeAddon.js"

/**
 * A predictor for a trained model on the fused engine (one thread, no dropout): the same math the
 * exported tfjs model runs, without importing tfjs. One engine serves every call until the scope
 * closes (a split of a million windows is predicted in thousands of chunks); native kernels where
 * they are built, wasm otherwise.
 */
export const predictorFor = (model: { readonly spec: ModelSpec; readonly weights: ReadonlyArray<NamedTensor> }) =>
  Effect.gen(function*() {
    const engine = yield* makeEngine({
      kind: nativeSupport().ok ? "native" : "wasm",
      spec: model.spec,
      optimizer: { kind: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, momentum: 0, clipNorm: null },
      seed: 0,
      threads: 1
    })
    const state = yield* engine.getState
    yield* engine.setState({ ...state, weights: model.weights })
    return (x: Float32Array, n: number) => engine.predict(x, n)
  })
