import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Fiber } from "effect"
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type DeliveryLog, layerFromNames, type RunInfo, Tracker } from "../../src/tracking/index.js"
import { syncRun } from "../../src/tracking/sync.js"
import { fakeMlflow } from "./mlflowServer.js"
import { runInfo } from "./runInfo.js"

const infoFor = (runDir: string, params: RunInfo["params"], resumed = false): RunInfo => runInfo(runDir, { params, resumed })

const tempRun = () => mkdtempSync(join(tmpdir(), "delivery-"))

/** Batch steps `from..to` and an epoch line every 10 steps, with a short pause every `pauseEvery` steps. */
const logSteps = (from: number, to: number, pauseEvery = 0) =>
  Effect.gen(function*() {
    const tracker = yield* Tracker
    for (let step = from; step <= to; step++) {
      yield* tracker.logMetrics({ "train/loss": 1 / step }, step, "batch")
      if (step % 10 === 0) yield* tracker.logMetrics({ "val/loss": 2 / step }, step / 10, "epoch")
      if (pauseEvery > 0 && step % pauseEvery === 0) yield* Effect.sleep("10 millis")
    }
  })

const expected = (from: number, to: number): ReadonlyArray<string> => {
  const points: Array<string> = []
  for (let step = from; step <= to; step++) {
    points.push(`batch/train/loss@${step}`)
    // Lightning's convention: epoch values at the global step, with an `epoch` metric
    if (step % 10 === 0) points.push(`val/loss@${step}`, `epoch@${step}`)
  }
  return points
}

/** Polls until `check` holds (the server got what was sent); fails after 20 s. */
const untilDelivered = (check: () => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1000; i++) {
      if (safe(check)) return
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.dieMessage("timed out waiting for the server")
  })

const safe = (check: () => boolean): boolean => {
  try {
    return check()
  } catch {
    return false
  }
}

const sorted = (points: ReadonlyArray<string>) => [...points].sort()

describe("MLflow delivery", () => {
  it.scopedLive("a server outage mid-run loses nothing and repeats nothing: every point arrives once, in order", () =>
    Effect.gen(function*() {
      const server = yield* fakeMlflow()
      const runDir = tempRun()
      const deliveries: DeliveryLog = {}
      yield* Effect.provide(
        Effect.gen(function*() {
          yield* logSteps(1, 100, 10)
          yield* Effect.sleep("200 millis")
          yield* server.stop
          // the run goes on while the server is away
          yield* logSteps(101, 300, 10)
          expect(existsSync(join(runDir, "tracking", "spool", "mlflow.jsonl"))).toBe(true)
          yield* server.start
          yield* logSteps(301, 400, 10)
        }),
        layerFromNames(["mlflow"], infoFor(runDir, { "model.units": 8 }), {
          systemMetrics: false,
          mlflow: { uri: server.url, requestTimeoutMs: 2000 },
          retryMs: 100,
          deliveries
        })
      )
      const points = server.points()
      expect(points).toHaveLength(new Set(points).size)
      expect(sorted(points)).toEqual(sorted(expected(1, 400)))
      // replayed in order: each metric's steps only go up
      const batchSteps = server.onlyRun().metrics.filter((m) => m.key === "batch/train/loss").map((m) => m.step)
      expect(batchSteps).toEqual([...batchSteps].sort((a, b) => a - b))
      expect(server.onlyRun().status).toBe("FINISHED")
      expect(existsSync(join(runDir, "tracking", "spool", "mlflow.jsonl"))).toBe(false)
      expect(deliveries.mlflow).toEqual({ delivered: 440, spooled: 0, dropped: 0 })
      expect(deliveries.jsonl?.delivered).toBe(440)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("a server down at the end keeps the points and the final status; the resume sends them and finishes the run", () =>
    Effect.gen(function*() {
      const server = yield* fakeMlflow()
      const runDir = tempRun()
      const first: DeliveryLog = {}
      yield* Effect.provide(
        Effect.gen(function*() {
          yield* logSteps(1, 50)
          yield* Effect.sleep("200 millis")
          yield* server.stop
          yield* logSteps(51, 80)
        }),
        layerFromNames(["mlflow"], infoFor(runDir, { "model.units": 8 }), {
          systemMetrics: false,
          mlflow: { uri: server.url, requestTimeoutMs: 1000 },
          retryMs: 50,
          closeTimeoutMs: 3000,
          deliveries: first
        })
      )
      expect(first.mlflow?.spooled).toBeGreaterThan(0)
      expect(first.mlflow!.delivered + first.mlflow!.spooled).toBe(88)
      const spool = readFileSync(join(runDir, "tracking", "spool", "mlflow.jsonl"), "utf8")
      expect(spool.trim().split("\n").at(-1)).toMatch(/"_tag":"close","status":"success"/)
      yield* server.start
      expect(server.onlyRun().status).toBe("RUNNING")

      const second: DeliveryLog = {}
      yield* Effect.provide(
        logSteps(81, 100),
        layerFromNames(["mlflow"], infoFor(runDir, { "model.units": 8 }, true), {
          systemMetrics: false,
          mlflow: { uri: server.url },
          retryMs: 50,
          deliveries: second
        })
      )
      expect(server.runs.size).toBe(1)
      const points = server.points()
      expect(points).toHaveLength(new Set(points).size)
      expect(sorted(points)).toEqual(sorted(expected(1, 100)))
      expect(server.onlyRun().status).toBe("FINISHED")
      expect(second.mlflow).toEqual({ delivered: first.mlflow!.spooled + 22, spooled: 0, dropped: 0 })
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("the spool is bounded: what does not fit is dropped and counted", () =>
    Effect.gen(function*() {
      const server = yield* fakeMlflow()
      yield* server.stop
      const runDir = tempRun()
      const deliveries: DeliveryLog = {}
      const notes: Array<string> = []
      yield* Effect.provide(
        logSteps(1, 200),
        layerFromNames(["mlflow"], infoFor(runDir, {}), {
          systemMetrics: false,
          mlflow: { uri: server.url, requestTimeoutMs: 500 },
          retryMs: 50,
          closeTimeoutMs: 1000,
          spoolMaxBytes: 4000,
          deliveries,
          notices: { note: (line) => Effect.sync(() => void notes.push(line)) }
        })
      )
      const held = deliveries.mlflow!
      expect(held.delivered).toBe(0)
      expect(held.dropped).toBeGreaterThan(0)
      expect(held.spooled + held.dropped).toBe(220)
      expect(readFileSync(join(runDir, "tracking", "spool", "mlflow.jsonl")).length).toBeLessThanOrEqual(4000)
      expect(notes.some((n) => /spool .* is full; further undelivered points are dropped/.test(n))).toBe(true)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("an interrupt waits at most 2 s for a server that never answers, says for which, and counts what was not delivered", () =>
    Effect.gen(function*() {
      const server = yield* fakeMlflow()
      const runDir = tempRun()
      const notes: Array<string> = []
      const activities: Array<string | null> = []
      const deliveries: DeliveryLog = {}
      let reached = false
      const fiber = yield* Effect.fork(Effect.provide(
        Effect.gen(function*() {
          yield* logSteps(1, 20)
          // 20 batch values, 2 epoch values and the `epoch` metric beside each
          yield* untilDelivered(() => server.onlyRun().metrics.length === 24)
          // accepts connections, never answers: the server is up but stuck
          yield* server.hang
          yield* logSteps(21, 60)
          reached = true
          yield* Effect.never
        }),
        layerFromNames(["mlflow"], infoFor(runDir, {}), {
          systemMetrics: false,
          mlflow: { uri: server.url, requestTimeoutMs: 15_000 },
          deliveries,
          notices: {
            note: (line) => Effect.sync(() => void notes.push(line)),
            activity: (text) => Effect.sync(() => void activities.push(text))
          }
        })
      ))
      yield* untilDelivered(() => reached)
      yield* Effect.sleep("200 millis")
      const t0 = Date.now()
      yield* Fiber.interrupt(fiber)
      const seconds = (Date.now() - t0) / 1000
      expect(seconds).toBeLessThan(3)
      expect(notes.some((n) => /^tracking: waiting for mlflow to take \d+ point\(s\) \(at most 2 s\)/.test(n))).toBe(true)
      expect(activities.some((a) => a !== null && a.includes("to mlflow"))).toBe(true)
      const held = deliveries.mlflow!
      expect(held.delivered).toBe(22)
      expect(held.spooled).toBe(44)
      expect(notes).toContainEqual(expect.stringMatching(/^tracking: mlflow: 44 point\(s\) not delivered and the final status not sent; kept in .*spool\/mlflow\.jsonl/))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("`runs sync` sends what a server never took, to a run it creates, and finishes it with the run's status", () =>
    Effect.gen(function*() {
      const server = yield* fakeMlflow()
      yield* server.stop
      const runDir = join(tempRun(), "births", "r1")
      mkdirSync(runDir, { recursive: true })
      const first: DeliveryLog = {}
      yield* Effect.provide(
        Effect.gen(function*() {
          yield* Effect.flatMap(Tracker, (t) => t.logParams({ "model.units": 8 }))
          yield* logSteps(1, 30)
        }),
        layerFromNames(["mlflow"], infoFor(runDir, { "model.units": 8 }), {
          systemMetrics: false,
          mlflow: { uri: server.url, requestTimeoutMs: 500 },
          retryMs: 50,
          closeTimeoutMs: 1000,
          deliveries: first
        })
      )
      expect(first.mlflow).toEqual({ delivered: 0, spooled: 33, dropped: 0 })
      yield* server.start
      const notes: Array<string> = []
      const synced = yield* syncRun(runDir, (line) => Effect.sync(() => void notes.push(line))).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["MLFLOW_TRACKING_URI", server.url]])))
      )
      expect(synced.mlflow).toEqual({ delivered: 33, spooled: 0, dropped: 0 })
      const run = server.onlyRun()
      expect(run.status).toBe("FINISHED")
      expect(run.tags.get("mlflow.runName")).toBe("r1")
      expect(run.params.get("model.units")).toBe("8")
      expect(sorted(server.points())).toEqual(sorted(expected(1, 30)))
      expect(existsSync(join(runDir, "tracking", "spool", "mlflow.jsonl"))).toBe(false)
      // nothing left: a second sync has nothing to do
      expect(yield* syncRun(runDir, () => Effect.void)).toEqual({})
    }).pipe(Effect.provide(NodeContext.layer)))
})
