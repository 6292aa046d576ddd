import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { pipelineStages, PipelineStages } from "../../src/stages/index.js"
import { PrepareData } from "../../src/stages/PrepareData.js"
import type { Stage } from "../../src/stages/Stage.js"
import { Train } from "../../src/stages/Train.js"
import { Tracker } from "../../src/tracking/Tracker.js"
import { fixture, outputDir, runInProcess, tempDir } from "../pipeline/helpers.js"

const Output = Schema.Struct({ windows: Schema.Number, epochs: Schema.Number })
const decoder = new TextDecoder()

/** A tiny extra stage, as a new stage file would define it: it needs the data and the model. */
const WindowCount: Stage<typeof Output.Type, { readonly data: typeof PrepareData; readonly model: typeof Train }> = {
  name: "window-count",
  version: 1,
  needs: { data: PrepareData, model: Train },
  inRun: false,
  reads: ({ loaded: { config } }) => Effect.succeed({ season: config.eval.season }),
  run: ({ data, model }) => Effect.succeed({ windows: data.manifest.counts.train, epochs: model.state.history.length }),
  publish: (out) => Effect.flatMap(Tracker, (t) => t.logMetrics({ "extra/windows": out.windows }, 0, "final")),
  encode: (out) => ({ files: [{ name: "out.json", data: JSON.stringify(Schema.encodeSync(Output)(out)) }], meta: {} }),
  decode: (entry) => Effect.flatMap(entry.files("out.json"), (bytes) => Schema.decodeUnknown(Schema.parseJson(Output))(decoder.decode(bytes)))
}

describe("adding a stage", () => {
  it.effect("is one stage value and one list entry: it runs with typed inputs, is cached and publishes", () =>
    Effect.gen(function*() {
      const out = tempDir()
      const withExtra = [...pipelineStages, WindowCount]
      const first = runInProcess(fixture("tiny.yaml"), [outputDir(out)])
      const outcome = yield* first.program.pipe(Effect.provideService(PipelineStages, withExtra))
      const extra = outcome.stages["window-count"]
      expect(extra?.cached).toBe(false)
      expect(extra?.output).toEqual({ windows: outcome.summary!.data!.windows.train, epochs: 3 })
      expect(first.memory.metrics("final").some((m) => m.metrics["extra/windows"] === outcome.summary!.data!.windows.train)).toBe(true)
      // the run directory is complete as before
      expect(JSON.parse(readFileSync(join(outcome.location!.runDir, "summary.json"), "utf8")).status).toBe("success")

      const again = yield* runInProcess(fixture("tiny.yaml"), [outputDir(out)]).program.pipe(Effect.provideService(PipelineStages, withExtra))
      expect(again.stages["window-count"]?.cached).toBe(true)
      const changed = yield* runInProcess(fixture("tiny.yaml"), [outputDir(out), { path: "eval.season", raw: "3", source: "--set" }]).program.pipe(
        Effect.provideService(PipelineStages, withExtra)
      )
      expect(changed.stages["window-count"]?.cached).toBe(false)
      expect(changed.stages["window-count"]?.reasons).toContain("season: 7 → 3")
    }))
})
