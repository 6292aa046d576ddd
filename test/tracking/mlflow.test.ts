import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Data, Effect, Exit } from "effect"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { layerMlflow, type RunInfo, Tracker } from "../../src/tracking/index.js"
import { splitLogBatch } from "../../src/tracking/Mlflow.js"
import { bodyOf, loopbackServer, type Received, type Reply, unusedUrl } from "./loopback.js"

const infoFor = (runDir: string, resumed = false): RunInfo => ({
  experiment: "births",
  runName: "units-32",
  runDir,
  params: { "model.units": 32, "train.optimizer": "adam" },
  configText: "model:\n  units: 32\n",
  tags: ["sweep", "dataset=births"],
  resumed
})

/** The documented MLflow REST 2.0 endpoints, with an experiment that does not exist yet. */
const mlflowServer = () => {
  const experiments = new Map<string, string>()
  return loopbackServer((request: Received): Reply => {
    const api = request.path.replace("/api/2.0/mlflow/", "")
    const body = bodyOf(request)
    switch (`${request.method} ${api}`) {
      case "GET experiments/get-by-name": {
        const id = experiments.get(request.query.get("experiment_name") ?? "")
        return id === undefined
          ? { status: 404, body: { error_code: "RESOURCE_DOES_NOT_EXIST", message: "not found" } }
          : { status: 200, body: { experiment: { experiment_id: id, name: request.query.get("experiment_name") } } }
      }
      case "POST experiments/create":
        experiments.set(String(body.name), "7")
        return { status: 200, body: { experiment_id: "7" } }
      case "POST runs/create":
        return { status: 200, body: { run: { info: { run_id: "run-abc", experiment_id: body.experiment_id } } } }
      case "GET runs/get":
        return { status: 200, body: { run: { info: { run_id: request.query.get("run_id") }, data: { params: [] } } } }
      case "POST runs/log-batch":
      case "POST runs/update":
        return { status: 200, body: {} }
      default:
        return { status: 404, body: { error_code: "ENDPOINT_NOT_FOUND" } }
    }
  })
}

const manyParams = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, i]))
const manyMetrics = Object.fromEntries(Array.from({ length: 2500 }, (_, i) => [`m${i}`, i / 10]))

class Diverged extends Data.TaggedError("Diverged")<{}> {}

const calls = (requests: ReadonlyArray<Received>, endpoint: string) =>
  requests.filter((r) => r.path === `/api/2.0/mlflow/${endpoint}`).map(bodyOf)

describe("splitLogBatch", () => {
  it("respects 1000 metrics, 100 params, 100 tags and 1000 entities per request", () => {
    const metric = (i: number) => ({ key: `m${i}`, value: i, timestamp: 0, step: 0 })
    const kv = (i: number) => ({ key: `k${i}`, value: String(i) })
    const parts = splitLogBatch({
      metrics: Array.from({ length: 2050 }, (_, i) => metric(i)),
      params: Array.from({ length: 250 }, (_, i) => kv(i)),
      tags: Array.from({ length: 120 }, (_, i) => kv(i))
    })
    for (const part of parts) {
      expect(part.metrics.length).toBeLessThanOrEqual(1000)
      expect(part.params.length).toBeLessThanOrEqual(100)
      expect(part.tags.length).toBeLessThanOrEqual(100)
      expect(part.metrics.length + part.params.length + part.tags.length).toBeLessThanOrEqual(1000)
    }
    expect(parts.flatMap((p) => p.metrics).map((m) => m.key)).toEqual(Array.from({ length: 2050 }, (_, i) => `m${i}`))
    expect(parts.flatMap((p) => p.params)).toHaveLength(250)
    expect(parts.flatMap((p) => p.tags)).toHaveLength(120)
    expect(splitLogBatch({ metrics: [], params: [], tags: [] })).toEqual([])
  })
})

describe("layerMlflow", () => {
  it.scopedLive("creates the experiment and run, logs in split batches, finishes; a resume reuses the run", () =>
    Effect.gen(function*() {
      const server = yield* mlflowServer()
      const runDir = mkdtempSync(join(tmpdir(), "mlflow-"))
      const t0 = Date.now()
      yield* Effect.provide(
        Effect.gen(function*() {
          const tracker = yield* Tracker
          yield* tracker.logParams(manyParams)
          yield* tracker.logMetrics({ "train/loss": 0.9, lr: 0.01 }, 1, "batch")
          yield* tracker.logMetrics({ "train/loss": 0.5, "val/loss": 0.6, val_nan: Number.NaN }, 1, "epoch")
          yield* tracker.logMetrics(manyMetrics, 1, "final")
          yield* tracker.logHistograms({ "lstm_1/kernel": new Float32Array([1, 2]) }, 1)
        }),
        layerMlflow(infoFor(runDir))
      ).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["MLFLOW_TRACKING_URI", `${server.url}/`]]))))

      const paths = server.requests.map((r) => `${r.method} ${r.path.replace("/api/2.0/mlflow/", "")}`)
      expect(paths.slice(0, 4)).toEqual([
        "GET experiments/get-by-name",
        "POST experiments/create",
        "POST runs/create",
        "POST runs/log-batch"
      ])
      expect(server.requests[0]!.query.get("experiment_name")).toBe("births")
      const created = calls(server.requests, "runs/create")[0]!
      expect(created.experiment_id).toBe("7")
      expect(created.run_name).toBe("units-32")
      expect(created.tags).toContainEqual({ key: "mlflow.runName", value: "units-32" })
      expect(created.tags).toContainEqual({ key: "sweep", value: "true" })
      expect(created.tags).toContainEqual({ key: "dataset", value: "births" })

      const batches = calls(server.requests, "runs/log-batch")
      for (const batch of batches) {
        expect(batch.run_id).toBe("run-abc")
        const metrics = Array.isArray(batch.metrics) ? batch.metrics : []
        const params = Array.isArray(batch.params) ? batch.params : []
        expect(metrics.length).toBeLessThanOrEqual(1000)
        expect(params.length).toBeLessThanOrEqual(100)
        expect(metrics.length + params.length).toBeLessThanOrEqual(1000)
      }
      const metrics = batches.flatMap((b) => (Array.isArray(b.metrics) ? b.metrics : []))
      const params = batches.flatMap((b) => (Array.isArray(b.params) ? b.params : []))
      expect(batches.length).toBeGreaterThanOrEqual(3)
      // the epoch call gets an `epoch` metric (Lightning's convention)
      expect(metrics).toHaveLength(2 + 3 + 1 + 2500)
      expect(metrics).toContainEqual(expect.objectContaining({ key: "epoch", value: 1, step: 1 }))
      expect(params).toContainEqual({ key: "model.units", value: "32" })
      expect(params).toContainEqual({ key: "p149", value: "149" })
      expect(metrics).toContainEqual(expect.objectContaining({ key: "batch/train/loss", value: 0.9, step: 1 }))
      expect(metrics).toContainEqual(expect.objectContaining({ key: "val/loss", value: 0.6, step: 1 }))
      expect(metrics).toContainEqual(expect.objectContaining({ key: "val_nan", value: "NaN" }))
      expect(metrics).toContainEqual(expect.objectContaining({ key: "m2499", value: 249.9, step: 1 }))
      for (const m of metrics) expect(m.timestamp).toBeGreaterThanOrEqual(t0)

      const updates = calls(server.requests, "runs/update")
      expect(updates).toEqual([expect.objectContaining({ run_id: "run-abc", status: "FINISHED" })])
      expect(paths.at(-1)).toBe("POST runs/update")
      const stored = JSON.parse(readFileSync(join(runDir, "tracking", "mlflow.json"), "utf8"))
      // one spelling of the server: `http://host/` and `http://host` are the same
      expect(stored).toEqual({ run_id: "run-abc", experiment_id: "7", tracking_uri: server.url })

      // Resume: the same run is reopened (RUNNING), logs, and ends FAILED with the failing exit.
      server.requests.length = 0
      const exit = yield* Effect.exit(Effect.provide(
        Effect.gen(function*() {
          const tracker = yield* Tracker
          yield* tracker.logMetrics({ "val/loss": 0.4 }, 2, "epoch")
          return yield* new Diverged()
        }),
        layerMlflow(infoFor(runDir, true), { uri: `${server.url}/` })
      ))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(calls(server.requests, "runs/create")).toEqual([])
      expect(calls(server.requests, "runs/update").map((u) => [u.run_id, u.status])).toEqual([
        ["run-abc", "RUNNING"],
        ["run-abc", "FAILED"]
      ])
      expect(calls(server.requests, "runs/log-batch").flatMap((b) => (Array.isArray(b.metrics) ? b.metrics : [])))
        .toContainEqual(expect.objectContaining({ key: "val/loss", value: 0.4, step: 2 }))
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("an interrupted run is marked KILLED", () =>
    Effect.gen(function*() {
      const server = yield* mlflowServer()
      const runDir = mkdtempSync(join(tmpdir(), "mlflow-"))
      yield* Effect.exit(Effect.provide(Effect.interrupt, layerMlflow(infoFor(runDir), { uri: server.url })))
      expect(calls(server.requests, "runs/update").map((u) => u.status)).toEqual(["KILLED"])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.live("an unreachable server degrades to one failure while the run completes", () =>
    Effect.gen(function*() {
      const url = yield* unusedUrl
      const runDir = mkdtempSync(join(tmpdir(), "mlflow-"))
      const failures = yield* Effect.provide(
        Effect.gen(function*() {
          const tracker = yield* Tracker
          for (let epoch = 1; epoch <= 5; epoch++) yield* tracker.logMetrics({ "val/loss": epoch }, epoch, "epoch")
          yield* Effect.sleep("300 millis")
          return yield* tracker.failures
        }),
        layerMlflow(infoFor(runDir), { uri: url, requestTimeoutMs: 2000 })
      )
      expect(failures).toHaveLength(1)
      expect(failures[0]).toMatch(/^mlflow: 1 failure\(s\), first: experiments\/get-by-name.*cannot reach http:\/\/127\.0\.0\.1:\d+/)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("500 responses and a hanging server are failures, never delays", () =>
    Effect.gen(function*() {
      let hang = false
      const server = yield* loopbackServer((request) => {
        if (hang) return "hang"
        if (request.path.endsWith("get-by-name")) return { status: 200, body: { experiment: { experiment_id: "1" } } }
        if (request.path.endsWith("runs/create")) return { status: 200, body: { run: { info: { run_id: "r" } } } }
        return { status: 500, body: { error_code: "INTERNAL_ERROR", message: "database is locked" } }
      })
      const runDir = mkdtempSync(join(tmpdir(), "mlflow-"))
      const started = Date.now()
      let logTime = 0
      const failures = yield* Effect.scoped(Effect.gen(function*() {
        const tracker = yield* Tracker
        yield* tracker.logMetrics({ "val/loss": 1 }, 1, "epoch")
        yield* Effect.sleep("200 millis")
        hang = true
        const t0 = Date.now()
        for (let step = 1; step <= 200; step++) yield* tracker.logMetrics({ "train/loss": step }, step, "batch")
        logTime = Date.now() - t0
        return tracker
      }).pipe(Effect.provide(layerMlflow(infoFor(runDir), { uri: server.url, requestTimeoutMs: 300 })))).pipe(
        Effect.flatMap((tracker) => tracker.failures)
      )
      expect(logTime).toBeLessThan(200)
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(failures).toHaveLength(1)
      // The 500, then each timed-out request (log-batch and the final runs/update) is counted.
      // one outage: the 500 is retriable, so the points wait in the spool, and so does the final status
      expect(failures[0]).toMatch(/^mlflow: 1 failure\(s\), first: runs\/log-batch: HTTP 500 .*database is locked.*; 201 point\(s\) spooled$/)
      expect(server.requests.some((r) => r.path.endsWith("runs/update"))).toBe(false)
    }).pipe(Effect.provide(NodeContext.layer)))
})
