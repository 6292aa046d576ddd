import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { decodeConfigText } from "../../src/config/loadConfig.js"
import { prepareData } from "../../src/data/prepareData.js"
import { makeEngine, type TrainEngine } from "../../src/engine/Engine.js"
import { layerSilent } from "../../src/progress/Progress.js"
import { modelSpec, optimizerSpec } from "../../src/stages/Train.js"
import { makeMemory } from "../../src/tracking/Memory.js"
import { trainLoop } from "../../src/train/loop.js"
import { initialTrainState } from "../../src/train/TrainState.js"

const yaml = `
data: { source: { kind: synthetic, length: 160 }, lookback: 6 }
model: { layers: 1, hidden_size: 4 }
train: { epochs: 3, batch_size: 32, early_stopping: { enabled: false } }
tracking: { histogram_every: 0 }
`

/** Three epochs of the loop on `wrap(engine)`, with what the tracker saw per epoch. */
const epochsWith = (wrap: (engine: TrainEngine) => TrainEngine) =>
  Effect.gen(function*() {
    const { config } = yield* decodeConfigText("device-memory.yaml", yaml, [])
    const dataset = yield* prepareData(config.data, ".")
    const engine = yield* makeEngine({ kind: "reference", spec: modelSpec(config, dataset), optimizer: optimizerSpec(config), seed: 1, threads: 1 })
    const memory = makeMemory()
    yield* trainLoop({
      config,
      train: dataset.splits.train,
      val: dataset.splits.val,
      features: dataset.manifest.features.length,
      engine: wrap(engine),
      start: initialTrainState(config.train.learning_rate),
      bestWeights: null,
      checkpoints: { save: (kind) => Effect.succeed(kind) }
    }).pipe(Effect.provide(Layer.merge(layerSilent, memory.layer)))
    return memory.metrics("epoch")
  })

describe("device memory in the epoch metrics", () => {
  it.scoped("a GPU engine's device memory in use is logged per epoch, in MB, as the engine counts it", () =>
    Effect.gen(function*() {
      // a fake probe: the engine reports 12.5 MiB, then 25 MiB once it has grown
      const readings = [12.5 * 1024 * 1024, 25 * 1024 * 1024, 25 * 1024 * 1024]
      let read = 0
      const epochs = yield* epochsWith((engine) => ({ ...engine, deviceMemoryBytes: Effect.sync(() => readings[read++] ?? null) }))
      expect(epochs.map((e) => e.metrics["system/gpu_memory_mb"])).toEqual([12.5, 25, 25])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("engines on host memory report none, and no GPU metric is logged", () =>
    Effect.gen(function*() {
      let reported: number | null | undefined
      const epochs = yield* epochsWith((engine) => ({
        ...engine,
        deviceMemoryBytes: Effect.tap(engine.deviceMemoryBytes, (bytes) => Effect.sync(() => void (reported = bytes)))
      }))
      expect(reported).toBeNull()
      expect(epochs).toHaveLength(3)
      for (const e of epochs) expect(e.metrics).not.toHaveProperty(["system/gpu_memory_mb"])
    }).pipe(Effect.provide(NodeContext.layer)))
})
