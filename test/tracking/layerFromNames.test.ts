import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Data, Effect, Exit } from "effect"
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { layerFromNames, makeMemory, type RunInfo, Tracker, type TrackerService } from "../../src/tracking/index.js"
import { loopbackServer } from "./loopback.js"

class Diverged extends Data.TaggedError("Diverged")<{}> {}

describe("layerFromNames", () => {
  it.scopedLive("fans out to every backend; a hanging MLflow never slows the loop; status reaches all", () =>
    Effect.gen(function*() {
      const server = yield* loopbackServer(() => "hang")
      const runDir = mkdtempSync(join(tmpdir(), "fanout-"))
      const info: RunInfo = {
        experiment: "births", runName: "r1", runDir, params: { "model.units": 8 }, configText: "", tags: [], resumed: false
      }
      const mem = makeMemory()
      let loopMs = 0
      let tracker: TrackerService | undefined
      const exit = yield* Effect.exit(Effect.provide(
        Effect.gen(function*() {
          tracker = yield* Tracker
          const t0 = Date.now()
          for (let epoch = 1; epoch <= 20; epoch++) {
            for (let b = 0; b < 10; b++) yield* tracker.logMetrics({ "train/loss": 1 }, epoch * 10 + b, "batch")
            yield* tracker.logMetrics({ "train/loss": 1 / epoch, "val/loss": 2 / epoch }, epoch, "epoch")
            yield* tracker.flush
          }
          loopMs = Date.now() - t0
          return yield* new Diverged()
        }),
        layerFromNames(["jsonl", "tensorboard", "memory", "mlflow", "jsonl"], info, {
          memory: mem,
          mlflow: { uri: server.url, requestTimeoutMs: 10_000 },
          closeTimeoutMs: 500
        })
      ))
      expect(Exit.isFailure(exit)).toBe(true)
      // Had the loop waited on the server even once, it would have taken at least 10 s.
      expect(loopMs).toBeLessThan(5000)
      expect(mem.record.status).toBe("failed")
      expect(mem.metrics("epoch")).toHaveLength(20)
      const jsonl = readFileSync(join(runDir, "metrics.jsonl"), "utf8").trim().split("\n")
      expect(jsonl).toHaveLength(220)
      expect(readdirSync(join(runDir, "tensorboard", "validation")).some((f) => f.startsWith("events.out.tfevents."))).toBe(true)
      expect(existsSync(join(runDir, "tracking", "mlflow.json"))).toBe(false)
      // The hanging server got the first request (get-by-name) and nothing else could follow.
      expect(server.requests.map((r) => r.path)).toEqual(["/api/2.0/mlflow/experiments/get-by-name"])
      // Finalization gave up on it after closeTimeoutMs and said so.
      expect(yield* tracker!.failures).toEqual([
        expect.stringMatching(/^mlflow: 1 failure\(s\), first: did not finish within 0\.5s; 280 point\(s\) spooled$/)
      ])
    }).pipe(Effect.provide(NodeContext.layer)))
})
