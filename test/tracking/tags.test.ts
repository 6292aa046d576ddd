import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { trainCachedTag } from "../../src/stages/Train.js"
import { layerWandb, Tracker } from "../../src/tracking/index.js"
import { layerFromNames } from "../../src/tracking/layerFromNames.js"
import { fixture, outputDir, runInProcess, set, tempDir } from "../pipeline/helpers.js"
import { bodyOf } from "./loopback.js"
import { fakeWandb } from "./wandbServer.js"
import { fakeMlflow } from "./mlflowServer.js"
import { runInfo } from "./runInfo.js"

describe("tag: the Train stage was served from the cache", () => {
  it.scopedLive("a run whose Train stage came from the cache says so in MLflow (and one that trained says it did not)", () =>
    Effect.gen(function*() {
      const server = yield* fakeMlflow()
      const out = tempDir()
      const run = (name: string) =>
        runInProcess(fixture("tiny.yaml"), [outputDir(out), set("run_name", name), set("tracking.trackers", "[mlflow]")], {
          tracking: { mlflow: { uri: server.url } }
        })
      const first = yield* run("first").program
      const { memory, program: second } = run("second")
      yield* second
      const [trained, cached] = [...server.runs.values()]
      expect(trained!.tags.get(trainCachedTag)).toBe("false")
      expect(cached!.tags.get(trainCachedTag)).toBe("true")
      expect(cached!.tags.get("lstm_pipeline.trained_in")).toBe(first.location!.runDir)
      expect(memory.tags()).toMatchObject({ [trainCachedTag]: "true" })
      // the cached run still has its curves
      expect(memory.metrics("epoch").map((m) => m.step)).toEqual([1, 2, 3])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.live("the MLflow file store writes tags as files", () =>
    Effect.gen(function*() {
      const base = mkdtempSync(join(tmpdir(), "mlruns-"))
      const store = join(base, "mlruns")
      yield* Effect.provide(
        Effect.flatMap(Tracker, (t) => t.setTags({ [trainCachedTag]: "true" })),
        layerFromNames(["mlflow"], runInfo(join(base, "run")), { mlflow: { uri: `file:${store}` }, systemMetrics: false })
      )
      const [experiment] = readdirSync(store).filter((n) => n !== "0")
      const [run] = readdirSync(join(store, experiment!)).filter((n) => n !== "meta.yaml")
      const tags = join(store, experiment!, run!, "tags")
      expect(readFileSync(join(tags, trainCachedTag), "utf8")).toBe("true")
      expect(readFileSync(join(tags, "lstm_pipeline.version"), "utf8")).toMatch(/^\d+\.\d+\.\d+/)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("W&B gets it in the run's config", () =>
    Effect.gen(function*() {
      const server = yield* fakeWandb()
      yield* Effect.provide(
        Effect.flatMap(Tracker, (t) => t.setTags({ [trainCachedTag]: "true" })),
        layerWandb(runInfo(mkdtempSync(join(tmpdir(), "wandb-")), { params: { "model.units": 8 } }), { baseUrl: server.url })
      ).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["WANDB_API_KEY", "k"]]))))
      const configs = server.requests.filter((r) => r.path === "/graphql").map((r) => JSON.parse(String((bodyOf(r).variables as Record<string, unknown>).config)))
      expect(configs.at(-1)).toMatchObject({ "model.units": { value: 8 }, [trainCachedTag]: { value: "true" } })
    }).pipe(Effect.provide(NodeContext.layer)))
})
