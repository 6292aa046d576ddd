import { describe, expect, it } from "@effect/vitest"
import { Cause, Data, Effect, Exit, Fiber, FiberId, Layer, TestClock } from "effect"
import { layerFromSpecs, makeFanOut, makeMemory, statusFromExit, Tracker, TrackerError } from "../../src/tracking/index.js"
import type { Call, SinkSpec } from "../../src/tracking/index.js"

const train = Effect.gen(function*() {
  const tracker = yield* Tracker
  yield* tracker.logParams({ "model.units": 32, "train.optimizer": "adam" })
  for (let step = 1; step <= 3; step++) yield* tracker.logMetrics({ "train/loss": 1 / step, lr: 1e-3 }, step, "batch")
  yield* tracker.logMetrics({ "train/loss": 0.5, "val/loss": 0.6 }, 1, "epoch")
  yield* tracker.logHistograms({ "lstm_1/kernel": new Float32Array([1, 2, 3]) }, 1)
  yield* tracker.logText("notes", "hello", 1)
  yield* tracker.flush
})

class Boom extends Data.TaggedError("Boom")<{}> {}
class StageInterrupted extends Data.TaggedError("StageInterrupted")<{ readonly cause: unknown }> {}

/** A remote backend whose every write hangs forever (a dead server without timeouts). */
const hangingRemote = (written: Array<Call>): SinkSpec => ({
  name: "hanging",
  remote: true,
  accepts: ["metrics"],
  open: Effect.succeed({
    write: (calls) => Effect.zipRight(Effect.sync(() => written.push(...calls)), Effect.never),
    flush: Effect.void,
    close: () => Effect.void
  })
})

const failingLocal: SinkSpec = {
  name: "broken",
  remote: false,
  accepts: ["metrics"],
  open: Effect.succeed({
    write: () => Effect.fail(new TrackerError({ backend: "broken", reason: "disk full" })),
    flush: Effect.void,
    close: () => Effect.void
  })
}

describe("memory tracker", () => {
  it.effect("records every call in order and finalizes with success", () =>
    Effect.gen(function*() {
      const mem = makeMemory()
      yield* Effect.provide(train, mem.layer)
      expect(mem.record.calls.map((c) => c._tag)).toEqual([
        "params", "metrics", "metrics", "metrics", "metrics", "histograms", "text"
      ])
      expect(mem.metrics("batch").map((m) => m.step)).toEqual([1, 2, 3])
      expect(mem.metrics("epoch")).toEqual([{ step: 1, metrics: { "train/loss": 0.5, "val/loss": 0.6 } }])
      const histo = mem.record.calls[5]
      expect(histo?._tag === "histograms" && Array.from(histo.values["lstm_1/kernel"] ?? [])).toEqual([1, 2, 3])
      expect(mem.record.flushes).toBeGreaterThanOrEqual(1)
      expect(mem.record.status).toBe("success")
    }))

  it.effect("finalizes with failed when the run fails", () =>
    Effect.gen(function*() {
      const mem = makeMemory()
      const exit = yield* Effect.exit(Effect.provide(Effect.zipRight(train, Effect.fail(new Boom())), mem.layer))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(mem.record.status).toBe("failed")
    }))

  it.effect("finalizes with interrupted when the run is interrupted", () =>
    Effect.gen(function*() {
      const mem = makeMemory()
      const fiber = yield* Effect.fork(Effect.provide(Effect.zipRight(train, Effect.never), mem.layer))
      yield* TestClock.adjust(1)
      yield* Fiber.interrupt(fiber)
      expect(mem.record.status).toBe("interrupted")
      expect(mem.record.calls.length).toBe(7)
    }))
})

describe("statusFromExit", () => {
  it("maps success, failure, interruption and failures that wrap an interruption", () => {
    expect(statusFromExit(Exit.succeed(1))).toBe("success")
    expect(statusFromExit(Exit.fail(new Boom()))).toBe("failed")
    expect(statusFromExit(Exit.die(new Error("bug")))).toBe("failed")
    expect(statusFromExit(Exit.interrupt(FiberId.none))).toBe("interrupted")
    expect(statusFromExit(Exit.fail(new StageInterrupted({ cause: new Cause.InterruptedException() })))).toBe("interrupted")
    expect(statusFromExit(Exit.fail(new StageInterrupted({ cause: Cause.interrupt(FiberId.none) })))).toBe("interrupted")
    expect(statusFromExit(Exit.fail(new StageInterrupted({ cause: new Error("disk") })))).toBe("failed")
  })
})

describe("fan-out", () => {
  it.live("a hanging remote backend neither slows logMetrics nor blocks finalization", () =>
    Effect.gen(function*() {
      const mem = makeMemory()
      const written: Array<Call> = []
      const layer = layerFromSpecs([mem.spec, hangingRemote(written)], { queueCapacity: 16, closeTimeoutMs: 300 })
      let elapsed = 0
      let failures: ReadonlyArray<string> = []
      const started = Date.now()
      yield* Effect.provide(
        Effect.gen(function*() {
          const tracker = yield* Tracker
          const t0 = Date.now()
          for (let step = 0; step < 2000; step++) yield* tracker.logMetrics({ "train/loss": step }, step, "batch")
          yield* tracker.flush
          elapsed = Date.now() - t0
          failures = yield* tracker.failures
        }),
        layer
      )
      const total = Date.now() - started
      // the backend never answers: one wait on it would never end, so a generous bound (a loaded
      // machine) still tells waiting from not waiting
      expect(elapsed).toBeLessThan(10_000)
      // Closing waits at most closeTimeoutMs for the stuck backend.
      expect(total).toBeLessThan(15_000)
      // The memory backend saw everything; the stuck one got one call, then its queue overflowed.
      expect(mem.metrics("batch").length).toBe(2000)
      expect(mem.record.status).toBe("success")
      expect(failures.length).toBe(1)
      expect(failures[0]).toMatch(/^hanging: \d+ point\(s\) dropped$/)
      const dropped = Number(failures[0]!.match(/(\d+) point/)![1])
      // Every call was either taken by the stuck worker, dropped, or still queued (at most 16).
      const queued = 2000 - written.length - dropped
      expect(written.length).toBeGreaterThanOrEqual(1)
      expect(queued).toBeGreaterThanOrEqual(0)
      expect(queued).toBeLessThanOrEqual(16)
    }))

  it.live("reports the close timeout of a stuck backend", () =>
    Effect.gen(function*() {
      const written: Array<Call> = []
      const mem = makeMemory()
      const tracker = yield* Effect.scoped(
        Effect.gen(function*() {
          const tracker = yield* makeFanOut([hangingRemote(written), mem.spec], { closeTimeoutMs: 200 })
          yield* tracker.logMetrics({ "train/loss": 1 }, 1, "epoch")
          yield* tracker.logMetrics({ "train/loss": 2 }, 2, "epoch")
          yield* Effect.sleep("20 millis")
          return tracker
        })
      )
      expect(yield* tracker.failures).toEqual([
        "hanging: 1 failure(s), first: did not finish within 0.2s; 2 point(s) spooled"
      ])
      expect(mem.record.status).toBe("success")
    }))

  it.effect("a failing backend is counted with its first error while the others get every call", () =>
    Effect.gen(function*() {
      const mem = makeMemory()
      const failures = yield* Effect.provide(
        Effect.gen(function*() {
          const tracker = yield* Tracker
          for (let epoch = 1; epoch <= 3; epoch++) yield* tracker.logMetrics({ "val/loss": epoch }, epoch, "epoch")
          return yield* tracker.failures
        }),
        Layer.fresh(layerFromSpecs([failingLocal, mem.spec]))
      )
      expect(failures).toEqual(["broken: 3 failure(s), first: disk full"])
      expect(mem.metrics("epoch").map((m) => m.step)).toEqual([1, 2, 3])
    }))

  it.live("a remote backend that cannot open is summarised and the run completes", () =>
    Effect.gen(function*() {
      const mem = makeMemory()
      const unreachable: SinkSpec = {
        name: "remote",
        remote: true,
        accepts: ["metrics"],
        open: Effect.fail(new TrackerError({ backend: "remote", reason: "cannot reach http://127.0.0.1:9" }))
      }
      const result = yield* Effect.provide(
        Effect.gen(function*() {
          const tracker = yield* Tracker
          yield* tracker.logMetrics({ "val/loss": 1 }, 1, "epoch")
          yield* Effect.sleep("50 millis")
          return yield* tracker.failures
        }),
        layerFromSpecs([unreachable, mem.spec], { closeTimeoutMs: 1000 })
      )
      // not retriable: nothing is spooled for a backend that can never take it
      expect(result).toEqual(["remote: 1 failure(s), first: cannot reach http://127.0.0.1:9; 1 point(s) dropped"])
      expect(mem.record.status).toBe("success")
    }))
})
