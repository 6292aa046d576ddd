import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { decodeConfigText } from "../../src/config/loadConfig.js"
import { prepareData } from "../../src/data/prepareData.js"
import { makeEngine } from "../../src/engine/Engine.js"
import { loadTf } from "../../src/model/keras.js"
import { Progress } from "../../src/progress/Progress.js"
import { modelSpec, optimizerSpec } from "../../src/stages/Train.js"
import { makeMemory } from "../../src/tracking/Memory.js"
import { trainLoop } from "../../src/train/loop.js"
import { initialTrainState } from "../../src/train/TrainState.js"

const yaml = `
data: { source: { kind: synthetic, length: 160 }, lookback: 6 }
model: { layers: 2, hidden_size: 4, dropout: 0.1 }
train: { epochs: 4, batch_size: 32, early_stopping: { enabled: false } }
runtime: { engine: tfjs }
tracking: { histogram_every: 2 }
`

describe("tfjs engine in the training loop", () => {
  it.scoped("keeps the number of live tensors constant from epoch to epoch", () =>
    Effect.gen(function*() {
      const tf = yield* Effect.promise(() => loadTf())
      yield* Effect.promise(() => tf.setBackend("cpu"))
      const { config } = yield* decodeConfigText("memory.yaml", yaml, [])
      const dataset = yield* prepareData(config.data, ".")
      const engine = yield* makeEngine({ kind: "tfjs", spec: modelSpec(config, dataset), optimizer: optimizerSpec(config), seed: 1, threads: 1 })
      const perEpoch: Array<number> = []
      const progress = Layer.succeed(Progress, {
        batch: () => Effect.void,
        epoch: () => Effect.sync(() => perEpoch.push(tf.memory().numTensors)),
        note: () => Effect.void
      })
      const memory = makeMemory()
      const saved: Array<string> = []
      const out = yield* trainLoop({
        config,
        train: dataset.splits.train,
        val: dataset.splits.val,
        features: dataset.manifest.features.length,
        engine,
        start: initialTrainState(config.train.learning_rate),
        bestWeights: null,
        checkpoints: { save: (kind) => Effect.sync(() => { saved.push(kind); return kind }) }
      }).pipe(Effect.provide(Layer.merge(progress, memory.layer)))
      expect(out.state.history).toHaveLength(4)
      expect(perEpoch).toHaveLength(4)
      expect(new Set(perEpoch).size).toBe(1)
      expect(saved.filter((k) => k === "periodic")).toHaveLength(4)
      expect(Schema.is(Schema.Number)(out.state.history[3]!.val_loss)).toBe(true)
    }).pipe(Effect.provide(NodeContext.layer)))
})
