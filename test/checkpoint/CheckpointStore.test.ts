import { FileSystem } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { CheckpointStore, type CheckpointStoreOptions, type SaveRequest } from "../../src/checkpoint/CheckpointStore.js"
import type { NamedTensor } from "../../src/model/spec.js"
import { writeDirAtomic } from "../../src/fs/atomic.js"
import { verifyDir } from "../../src/fs/verify.js"
import { deadPid, diskFullLayer, flipByte, ls, NodeLayer, tempDir, truncateFile } from "../fs/helpers.js"

type Env = FileSystem.FileSystem

/** A store over `<runDir>/checkpoints`, built the way the pipeline builds it. */
const storeAt = (options: CheckpointStoreOptions) => Effect.provide(CheckpointStore, CheckpointStore.layer(options))

/** Deterministic tensors whose values depend on `seed`, with awkward values included. */
const tensorsFor = (seed: number): SaveRequest["tensors"] => {
  const kernel = new Float32Array(12).map((_, i) => Math.sin(seed * 100 + i))
  kernel[0] = -0
  kernel[1] = 1.4e-45 // smallest subnormal
  kernel[2] = Number.NaN
  const weights: Array<NamedTensor> = [
    { name: "lstm_1/kernel", shape: [3, 4], data: kernel },
    { name: "dense/bias", shape: [2], data: new Float32Array([seed, -seed]) }
  ]
  const optimizer: Array<NamedTensor> = [
    { name: "lstm_1/kernel/m", shape: [3, 4], data: new Float32Array(12).fill(seed / 7) },
    { name: "lstm_1/kernel/v", shape: [3, 4], data: new Float32Array(12).fill(seed / 9) }
  ]
  return { weights, optimizer }
}

const periodic = (epoch: number, stepsPerEpoch = 10): SaveRequest => ({
  kind: "periodic",
  epoch,
  step: epoch * stepsPerEpoch,
  meta: { epoch, batchInEpoch: 0, patience: 2, schedule: { lr: 0.001 }, configHash: "abc" },
  tensors: tensorsFor(epoch),
  mode: "min"
})
const best = (epoch: number, score: number): SaveRequest => ({ ...periodic(epoch), kind: "best", score })

const bits = (data: Float32Array) => Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length))

/** Runs `body` with a fresh run directory on the real file system. */
const inRun = <A, E>(body: (runDir: string) => Effect.Effect<A, E, Env>) =>
  Effect.gen(function*() {
    return yield* body(yield* tempDir)
  }).pipe(Effect.provide(NodeLayer))

describe("CheckpointStore save/load", () => {
  it.scoped("round-trips tensors bit for bit and the meta", () =>
    inRun((runDir) =>
      Effect.gen(function*() {
        const store = yield* storeAt({ dir: `${runDir}/checkpoints`, keepLast: 3, keepEveryEpochs: 0 })
        const saved = yield* store.save(periodic(5, 247))
        expect(saved.path).toBe(`${runDir}/checkpoints/epoch-0005-step-00001235`)
        expect(yield* ls(saved.path)).toEqual(["DONE", "MANIFEST.json", "optimizer.bin", "state.json", "weights.bin"])
        const loaded = yield* store.load(saved.path)
        const original = tensorsFor(5)
        expect(loaded.epoch).toBe(5)
        expect(loaded.step).toBe(1235)
        expect(loaded.meta).toEqual(periodic(5).meta)
        expect(loaded.weights.map((t) => [t.name, t.shape])).toEqual([["lstm_1/kernel", [3, 4]], ["dense/bias", [2]]])
        loaded.weights.forEach((t, i) => expect(bits(t.data)).toEqual(bits(original.weights[i]!.data)))
        loaded.optimizer.forEach((t, i) => expect(bits(t.data)).toEqual(bits(original.optimizer[i]!.data)))
        const emergency = yield* store.save({ ...periodic(5), kind: "emergency", step: 1240 })
        expect(emergency.path).toBe(`${runDir}/checkpoints/emergency-step-00001240`)
      }).pipe(Effect.provide(NodeLayer))))

  it.scoped("keeps the newest N periodic checkpoints plus milestones, never touching best", () =>
    inRun((runDir) =>
      Effect.gen(function*() {
        const dir = `${runDir}/checkpoints`
        const store = yield* storeAt({ dir, keepLast: 2, keepEveryEpochs: 3 })
        yield* store.save(best(2, 0.5))
        const removedSoFar: Array<string> = []
        for (const epoch of [1, 2, 3, 4, 5, 6, 7]) removedSoFar.push(...(yield* store.save(periodic(epoch))).removed)
        expect(yield* ls(dir)).toEqual([
          "best",
          "epoch-0003-step-00000030",
          "epoch-0006-step-00000060",
          "epoch-0007-step-00000070"
        ])
        expect(removedSoFar.map((p) => p.slice(dir.length + 1)).sort()).toEqual([
          "epoch-0001-step-00000010",
          "epoch-0002-step-00000020",
          "epoch-0004-step-00000040",
          "epoch-0005-step-00000050"
        ])
        const listed = yield* store.list
        expect(listed.map((c) => [c.name, c.kind, c.epoch, c.status])).toEqual([
          ["best", "best", 2, "intact"],
          ["epoch-0003-step-00000030", "periodic", 3, "intact"],
          ["epoch-0006-step-00000060", "periodic", 6, "intact"],
          ["epoch-0007-step-00000070", "periodic", 7, "intact"]
        ])
      }).pipe(Effect.provide(NodeLayer))))

  it.scoped("an emergency checkpoint is superseded by the next complete periodic one", () =>
    inRun((runDir) =>
      Effect.gen(function*() {
        const dir = `${runDir}/checkpoints`
        const store = yield* storeAt({ dir, keepLast: 3, keepEveryEpochs: 0 })
        yield* store.save(periodic(5))
        yield* store.save({ ...periodic(5), kind: "emergency", step: 55 })
        expect((yield* store.resolve("last")).info.name).toBe("emergency-step-00000055")
        const next = yield* store.save(periodic(6))
        expect(next.removed).toEqual([`${dir}/emergency-step-00000055`])
        expect(yield* ls(dir)).toEqual(["epoch-0005-step-00000050", "epoch-0006-step-00000060"])
      }).pipe(Effect.provide(NodeLayer))))

  it.scoped("checkpoints named the old way (after the next epoch) still resolve, load and age out by step", () =>
    inRun((runDir) =>
      Effect.gen(function*() {
        const dir = `${runDir}/checkpoints`
        const store = yield* storeAt({ dir, keepLast: 2, keepEveryEpochs: 0 })
        // an older build named the checkpoint after epoch 2 (step 20) "epoch-0003"; this one names
        // the checkpoint after epoch 3 (step 30) "epoch-0003" too: different steps, no clash
        yield* store.save({ ...periodic(3), step: 20 })
        yield* store.save(periodic(3))
        expect(yield* ls(dir)).toEqual(["epoch-0003-step-00000020", "epoch-0003-step-00000030"])
        expect((yield* store.resolve("last")).info.name).toBe("epoch-0003-step-00000030")
        expect((yield* store.load(`${dir}/epoch-0003-step-00000020`)).step).toBe(20)
        const next = yield* store.save(periodic(4))
        expect(next.removed).toEqual([`${dir}/epoch-0003-step-00000020`])
      }).pipe(Effect.provide(NodeLayer))))

  it.scoped("best is replaced only by a strictly better score, also by a resumed store", () =>
    inRun((runDir) =>
      Effect.gen(function*() {
        const options = { dir: `${runDir}/checkpoints`, keepLast: 2, keepEveryEpochs: 0 }
        const first = yield* storeAt(options)
        expect((yield* first.save(best(3, 0.5))).written).toBe(true)
        const worse = yield* first.save(best(4, 0.6))
        expect(worse.written).toBe(false)
        expect(worse.reason).toBe("best score 0.5 (epoch 3) is not beaten by 0.6")
        expect((yield* first.save(best(4, 0.5))).written).toBe(false)
        expect((yield* first.save(best(4, Number.NaN))).written).toBe(false)

        // a new process resumes with its own store instance and forgot the best score
        const resumed = yield* storeAt(options)
        expect(yield* resumed.bestScore).toEqual({ score: 0.5, mode: "min", epoch: 3, step: 30 })
        expect((yield* resumed.save(best(9, 0.55))).written).toBe(false)
        expect((yield* resumed.load(`${runDir}/checkpoints/best`)).epoch).toBe(3)
        expect((yield* resumed.save(best(10, 0.4))).written).toBe(true)
        const loaded = yield* resumed.load((yield* resumed.resolve("best")).path)
        expect(loaded.score).toBe(0.4)
        expect(loaded.epoch).toBe(10)
        expect(bits(loaded.weights[1]!.data)).toEqual(bits(tensorsFor(10).weights[1]!.data))

        const maxStore = yield* storeAt({ ...options, dir: `${runDir}/max` })
        yield* maxStore.save({ ...best(1, 0.7), mode: "max" })
        expect((yield* maxStore.save({ ...best(2, 0.6), mode: "max" })).written).toBe(false)
        expect((yield* maxStore.save({ ...best(3, 0.8), mode: "max" })).written).toBe(true)
      }).pipe(Effect.provide(NodeLayer))))

  it.scoped("a corrupt best is replaced by the next best save", () =>
    inRun((runDir) =>
      Effect.gen(function*() {
        const store = yield* storeAt({ dir: `${runDir}/checkpoints`, keepLast: 2, keepEveryEpochs: 0 })
        yield* store.save(best(3, 0.1))
        yield* flipByte(`${runDir}/checkpoints/best/weights.bin`, 3)
        expect(yield* store.bestScore).toBeUndefined()
        expect((yield* store.save(best(4, 0.9))).written).toBe(true)
        expect((yield* store.load(`${runDir}/checkpoints/best`)).score).toBe(0.9)
      }).pipe(Effect.provide(NodeLayer))))
})

describe("CheckpointStore resolve", () => {
  it.scoped("'last' falls back to the previous intact checkpoint and names the corrupt one", () =>
    inRun((runDir) =>
      Effect.gen(function*() {
        const dir = `${runDir}/checkpoints`
        const store = yield* storeAt({ dir, keepLast: 5, keepEveryEpochs: 0 })
        for (const epoch of [1, 2, 3]) yield* store.save(periodic(epoch))
        yield* truncateFile(`${dir}/epoch-0003-step-00000030/weights.bin`, 20)
        const resolved = yield* store.resolve("last")
        expect(resolved.info.name).toBe("epoch-0002-step-00000020")
        expect(resolved.warnings).toEqual([
          "skipped corrupt checkpoint epoch-0003-step-00000030: weights.bin: size 20 ≠ 56 (truncated)"
        ])
        const listed = yield* store.list
        expect(listed.find((c) => c.name === "epoch-0003-step-00000030")).toMatchObject({
          status: "corrupt",
          epoch: 3,
          step: 30,
          reason: "weights.bin: size 20 ≠ 56 (truncated)"
        })
        // a run directory resolves to its last intact checkpoint too
        expect((yield* store.resolve(runDir)).info.name).toBe("epoch-0002-step-00000020")
        expect((yield* store.resolve(dir)).info.name).toBe("epoch-0002-step-00000020")
        expect((yield* store.resolve(`${dir}/epoch-0001-step-00000010/state.json`)).info.name).toBe("epoch-0001-step-00000010")
      }).pipe(Effect.provide(NodeLayer))))

  it.scoped("an explicit corrupt path is an error naming the file and reason, never loaded", () =>
    inRun((runDir) =>
      Effect.gen(function*() {
        const dir = `${runDir}/checkpoints`
        const store = yield* storeAt({ dir, keepLast: 5, keepEveryEpochs: 0 })
        const saved = yield* store.save(periodic(1))
        yield* flipByte(`${saved.path}/optimizer.bin`, 10)
        const error = yield* Effect.flip(store.resolve(saved.path))
        expect(error._tag).toBe("CheckpointCorrupt")
        expect(error.path).toBe(saved.path)
        expect(error.reason).toBe("optimizer.bin: sha256 mismatch (corrupted)")
        expect(error.message).toContain(saved.path)
        const loadError = yield* Effect.flip(store.load(saved.path))
        expect(loadError._tag).toBe("CheckpointCorrupt")
        expect(loadError.reason).toBe("optimizer.bin: sha256 mismatch (corrupted)")
      }).pipe(Effect.provide(NodeLayer))))

  it.scoped("reports missing checkpoints clearly", () =>
    inRun((runDir) =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = `${runDir}/checkpoints`
        const store = yield* storeAt({ dir, keepLast: 5, keepEveryEpochs: 0 })
        const none = yield* Effect.flip(store.resolve("last"))
        expect(none._tag).toBe("CheckpointNotFound")
        expect(none.reason).toBe("no checkpoints")
        expect((yield* Effect.flip(store.resolve("best")))._tag).toBe("CheckpointNotFound")
        expect((yield* Effect.flip(store.resolve(`${runDir}/nope`)))._tag).toBe("CheckpointNotFound")
        const only = yield* store.save(periodic(1))
        yield* fs.remove(`${only.path}/DONE`)
        const allCorrupt = yield* Effect.flip(store.resolve("last"))
        expect(allCorrupt.reason).toBe("no intact checkpoint (skipped corrupt checkpoint epoch-0001-step-00000010: missing DONE marker)")
      }).pipe(Effect.provide(NodeLayer))))

  it.scoped("a state.json that is not the store's format is corrupt", () =>
    inRun((runDir) =>
      Effect.gen(function*() {
        const dir = `${runDir}/checkpoints`
        yield* writeDirAtomic(`${dir}/epoch-0001-step-00000010`, [
          { name: "state.json", data: "{\"epoch\":1}" },
          { name: "weights.bin", data: new Uint8Array(0) },
          { name: "optimizer.bin", data: new Uint8Array(0) }
        ])
        const store = yield* storeAt({ dir, keepLast: 5, keepEveryEpochs: 0 })
        const error = yield* Effect.flip(store.load(`${dir}/epoch-0001-step-00000010`))
        expect(error.reason).toBe("state.json: not a valid checkpoint state")
      }).pipe(Effect.provide(NodeLayer))))
})

describe("CheckpointStore under failure", () => {
  it.scoped("a full disk during a save keeps every previous checkpoint and applies no retention", () =>
    inRun((runDir) =>
      Effect.gen(function*() {
        const dir = `${runDir}/checkpoints`
        const options = { dir, keepLast: 1, keepEveryEpochs: 0 }
        yield* Effect.gen(function*() {
          const store = yield* storeAt(options)
          yield* store.save(periodic(1))
          yield* store.save(best(1, 0.3))
        }).pipe(Effect.provide(NodeLayer))
        const error = yield* Effect.gen(function*() {
          const store = yield* storeAt(options)
          return yield* Effect.flip(store.save(periodic(2)))
        }).pipe(Effect.provide(diskFullLayer((p) => p.endsWith("weights.bin"))))
        expect(error._tag).toBe("AtomicWriteError")
        expect(error.message).toContain("no space left on device")
        expect(error.message).toContain(`${dir}/epoch-0002-step-00000020`)
        yield* Effect.gen(function*() {
          expect(yield* ls(dir)).toEqual(["best", "epoch-0001-step-00000010"])
          expect(Either.isRight(yield* verifyDir(`${dir}/epoch-0001-step-00000010`))).toBe(true)
          const store = yield* storeAt(options)
          expect((yield* store.resolve("last")).info.name).toBe("epoch-0001-step-00000010")
        }).pipe(Effect.provide(NodeLayer))
      })))

  it.scoped("a crash while swapping best is repaired when the next store opens", () =>
    inRun((runDir) =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = `${runDir}/checkpoints`
        const options = { dir, keepLast: 2, keepEveryEpochs: 0 }
        yield* (yield* storeAt(options)).save(best(4, 0.2))
        const pid = deadPid()
        yield* fs.rename(`${dir}/best`, `${dir}/.best.old-${pid}-abc123`)
        yield* fs.makeDirectory(`${dir}/.epoch-0005-step-00000050.tmp-${pid}-def456`)
        const reopened = yield* storeAt(options)
        expect(yield* ls(dir)).toEqual(["best"])
        expect(yield* reopened.bestScore).toEqual({ score: 0.2, mode: "min", epoch: 4, step: 40 })
        expect((yield* reopened.save(best(5, 0.3))).written).toBe(false)
      }).pipe(Effect.provide(NodeLayer))))
})
