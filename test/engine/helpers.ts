import { existsSync } from "node:fs"
import { distFiles } from "../../src/engine/paths.js"
import { Rng } from "../../src/random/Rng.js"
import type { Batch, OptimizerSpec } from "../../src/engine/types.js"
import type { ModelSpec, NamedTensor } from "../../src/model/spec.js"

/** The small model of the gradient checks. */
export const smallSpec: ModelSpec = { features: 3, lookback: 6, units: [5, 4], dropout: 0, outputs: 2 }

/** Adam with Keras defaults and no clipping. */
export const adam: OptimizerSpec = { kind: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, momentum: 0, clipNorm: null }

/** A reproducible random batch for a spec. */
export const randomBatch = (spec: ModelSpec, size: number, seed: number): Batch => {
  const rng = new Rng(seed)
  const x = new Float32Array(size * spec.lookback * spec.features).map(() => rng.normal())
  const y = new Float32Array(size * spec.outputs).map(() => rng.normal())
  return { x, y, size }
}

/** ||a - b|| / ||b|| over all values. */
export const relDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`)
  let num = 0
  let den = 0
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2
    den += b[i]! ** 2
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30)
}

/** Looks up a tensor by name. */
export const byName = (ts: ReadonlyArray<NamedTensor>, name: string): NamedTensor => {
  const t = ts.find((x) => x.name === name)
  if (t === undefined) throw new Error(`no tensor ${name}`)
  return t
}

/** Throws a clear message when the build outputs the wasm engine needs are missing. */
export const requireDist = (): void => {
  const files = distFiles()
  const missing = files === null ? ["package root"] : [files.simdWasm, files.relaxedWasm, files.worker].filter((p) => !existsSync(p))
  if (missing.length > 0) {
    throw new Error(`missing build outputs ${missing.join(", ")}: run \`npm run build\` (make test does) before the engine tests`)
  }
}
