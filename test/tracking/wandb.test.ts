import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Logger } from "effect"
import { mkdtempSync, readFileSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { layerWandb, type RunInfo, Tracker } from "../../src/tracking/index.js"
import { bodyOf, loopbackServer, type Received, unusedUrl } from "./loopback.js"
import { fakeWandb } from "./wandbServer.js"

const infoFor = (runDir: string, resumed = false): RunInfo => ({
  experiment: "births",
  runName: "units-32",
  runDir,
  params: { "model.units": 32, "train.optimizer": "adam" },
  configText: "",
  tags: ["sweep"],
  resumed
})

const env = (entries: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries))))

const training = Effect.gen(function*() {
  const tracker = yield* Tracker
  for (let step = 1; step <= 3; step++) yield* tracker.logMetrics({ "train/loss": 1 / step }, step, "batch")
  yield* tracker.logMetrics({ "train/loss": 0.5, "val/loss": 0.6 }, 1, "epoch")
  yield* tracker.logMetrics({ "test/rmse": 12.5, "test/count": 40 }, 1, "final")
})

const historyLines = (requests: ReadonlyArray<Received>) =>
  requests.filter((r) => r.path.endsWith("file_stream")).flatMap((r) => {
    const files = bodyOf(r).files as Record<string, { offset: number; content: Array<string> }> | undefined
    const history = files?.["wandb-history.jsonl"]
    return history === undefined ? [] : history.content.map((line, i) => ({ offset: history.offset + i, row: JSON.parse(line) as Record<string, unknown> }))
  })

describe("layerWandb", () => {
  it.scopedLive("creates the run with upsertBucket and streams history, summary and completion", () =>
    Effect.gen(function*() {
      const server = yield* fakeWandb()
      const runDir = mkdtempSync(join(tmpdir(), "wandb-"))
      yield* Effect.provide(training, layerWandb(infoFor(runDir))).pipe(
        env({ WANDB_API_KEY: "secret-key", WANDB_BASE_URL: server.url, WANDB_ENTITY: "team" })
      )
      const graphql = server.requests.filter((r) => r.path === "/graphql")
      expect(graphql).toHaveLength(1)
      expect(graphql[0]!.headers.authorization).toBe(`Basic ${Buffer.from("api:secret-key").toString("base64")}`)
      const body = bodyOf(graphql[0]!)
      expect(String(body.query)).toMatch(/mutation UpsertBucket[\s\S]*upsertBucket\(input:/)
      const variables = body.variables as Record<string, unknown>
      expect(variables.name).toMatch(/^[a-z0-9]{8}$/)
      expect(variables).toMatchObject({ project: "births", entity: "team", displayName: "units-32", tags: ["sweep"] })
      expect(JSON.parse(String(variables.config))).toEqual({
        "model.units": { value: 32 },
        "train.optimizer": { value: "adam" },
        "lstm_pipeline.version": { value: expect.stringMatching(/^\d+\.\d+\.\d+/) }
      })
      // the run's source as wandb records it; the commit when run inside a git repository
      expect(variables).toMatchObject({ host: hostname(), program: "lstm-pipeline" })
      if (variables.commit !== undefined) expect(variables.commit).toMatch(/^[0-9a-f]{40}$/)

      const streams = server.requests.filter((r) => r.path.endsWith("file_stream"))
      expect(new Set(streams.map((r) => r.path))).toEqual(new Set([`/files/team/births/${String(variables.name)}/file_stream`]))
      const lines = historyLines(server.requests)
      expect(lines.map((l) => l.offset)).toEqual([0, 1, 2, 3])
      expect(lines.map((l) => l.row._step)).toEqual([0, 1, 2, 3])
      expect(lines[0]!.row).toMatchObject({ "batch/train/loss": 1, batch_step: 1, "trainer/global_step": 1 })
      // Lightning's convention: epoch rows carry the global step too
      expect(lines[3]!.row).toMatchObject({ "train/loss": 0.5, "val/loss": 0.6, epoch: 1, "trainer/global_step": 3 })
      for (const { row } of lines) expect(row._timestamp).toBeGreaterThan(1.6e9)
      const summaries = streams.flatMap((r) => {
        const files = bodyOf(r).files as Record<string, { content: Array<string> }> | undefined
        return files?.["wandb-summary.json"]?.content.map((c) => JSON.parse(c) as Record<string, unknown>) ?? []
      })
      expect(summaries.at(-1)).toMatchObject({ "test/rmse": 12.5, "val/loss": 0.6 })
      expect(summaries.at(-1)).not.toHaveProperty(["test/count"])
      expect(bodyOf(streams.at(-1)!)).toEqual({ complete: true, exitcode: 0 })
      expect(JSON.parse(readFileSync(join(runDir, "tracking", "wandb.json"), "utf8"))).toEqual({
        run_id: variables.name,
        entity: "team",
        project: "births"
      })

      // Resume: same run id, history continues at the server's line count, interrupted → exit 255.
      const resumed = yield* fakeWandb({ historyLineCount: 4 })
      yield* Effect.exit(Effect.provide(
        Effect.zipRight(Effect.flatMap(Tracker, (t) => t.logMetrics({ "val/loss": 0.4 }, 2, "epoch")), Effect.interrupt),
        layerWandb(infoFor(runDir, true), { baseUrl: resumed.url })
      ).pipe(env({ WANDB_API_KEY: "secret-key" })))
      const again = bodyOf(resumed.requests[0]!).variables as Record<string, unknown>
      expect(again).toMatchObject({ name: variables.name, entity: "team", project: "births" })
      expect(historyLines(resumed.requests).map((l) => [l.offset, l.row._step, l.row.epoch])).toEqual([[4, 4, 2]])
      expect(bodyOf(resumed.requests.at(-1)!)).toEqual({ complete: true, exitcode: 255 })
    }).pipe(Effect.provide(NodeContext.layer)))

  it.live("without WANDB_API_KEY: one warning, no requests, the run goes on", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel._tag === "Warning") warnings.push(String(message))
      })
      const failures = yield* Effect.provide(
        Effect.zipRight(training, Effect.flatMap(Tracker, (t) => t.failures)),
        layerWandb(infoFor(mkdtempSync(join(tmpdir(), "wandb-"))))
      ).pipe(env({}), Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      expect(failures).toEqual([])
      expect(warnings).toEqual(["wandb: WANDB_API_KEY is not set; the run is not logged to W&B"])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.live("an unreachable server is one failure; the run completes", () =>
    Effect.gen(function*() {
      const url = yield* unusedUrl
      const tracker = yield* Effect.scoped(
        Effect.zipRight(training, Tracker).pipe(
          Effect.provide(layerWandb(infoFor(mkdtempSync(join(tmpdir(), "wandb-"))), { baseUrl: url }))
        )
      ).pipe(env({ WANDB_API_KEY: "k" }))
      const failures = yield* tracker.failures
      expect(failures).toHaveLength(1)
      expect(failures[0]).toMatch(/^wandb: 1 failure\(s\), first: upsertBucket: cannot reach http:\/\/127\.0\.0\.1:\d+/)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("GraphQL errors are failures with the server's message", () =>
    Effect.gen(function*() {
      const server = yield* loopbackServer(() => ({ status: 200, body: { errors: [{ message: "permission denied" }] } }))
      const tracker = yield* Effect.scoped(
        Effect.zipRight(training, Tracker).pipe(
          Effect.provide(layerWandb(infoFor(mkdtempSync(join(tmpdir(), "wandb-"))), { baseUrl: server.url }))
        )
      ).pipe(env({ WANDB_API_KEY: "k" }))
      expect(yield* tracker.failures).toEqual(["wandb: 1 failure(s), first: upsertBucket: permission denied; 7 point(s) dropped"])
      expect(server.requests.every((r) => r.path === "/graphql")).toBe(true)
    }).pipe(Effect.provide(NodeContext.layer)))
})
