import { Effect } from "effect"
import { inOrder, type Split } from "./views.js"

/** Windows gathered per prediction call: bounds the transient input copy, whatever the split's size. */
export const PREDICT_CHUNK = 2048

/**
 * Predictions for every window of a split, in order: windows are gathered `chunk` at a time
 * into one reused buffer and predicted, so no [n, lookback, features] copy of the split exists.
 */
export const predictSplit = <E, R>(
  split: Split,
  lookback: number,
  features: number,
  outputs: number,
  predict: (x: Float32Array, n: number) => Effect.Effect<Float32Array, E, R>,
  chunk: number = PREDICT_CHUNK
): Effect.Effect<Float32Array, E, R> =>
  Effect.gen(function*() {
    const out = new Float32Array(split.n * outputs)
    const order = inOrder(split.n)
    const buffer = new Float32Array(Math.min(chunk, split.n) * lookback * features)
    for (let from = 0; from < split.n; from += chunk) {
      const count = Math.min(chunk, split.n - from)
      split.gather(order, from, count, buffer)
      const x = buffer.subarray(0, count * lookback * features)
      out.set((yield* predict(x, count)).subarray(0, count * outputs), from * outputs)
    }
    return out
  })
