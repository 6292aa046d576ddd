import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { evaluate } from "../../src/evaluate/evaluate.js"
import { SummaryMetrics } from "../../src/rundir/files.js"
import { Evaluate } from "../../src/stages/Evaluate.js"
import { config, panel, predictFor, testWindows } from "../evaluate/panelFixture.js"

const encoder = new TextEncoder()

describe("Evaluate stage", () => {
  it.effect("summary metrics: mase/rmsse per split, and macro_* plus the series count for many series (sweepable as test.macro_mase)", () =>
    Effect.gen(function*() {
      const evaluation = yield* evaluate({ config, dataset: panel(1, { val: [], test: testWindows }), predict: predictFor(1) })
      const metrics = Schema.decodeUnknownSync(SummaryMetrics)(Evaluate.summarize!(evaluation).metrics)
      expect(metrics.series).toBe(2)
      expect(metrics.test!["rmse"]).toBeCloseTo(Math.sqrt(205 / 7), 12)
      expect(metrics.test!["mase"]).toBeCloseTo(23 / 78, 12)
      expect(metrics.test!["macro_mase"]).toBeCloseTo((0.375 + 2 / 7) / 2, 12)
      expect(metrics.test!["macro_rmse"]).toBeCloseTo((Math.sqrt(1.25) + Math.sqrt(200 / 3)) / 2, 12)
      expect(metrics.val).toBeUndefined()

      const single = yield* evaluate({ config, dataset: panel(1, { val: [], test: testWindows.filter(([s]) => s === 1) }), predict: predictFor(1) })
      const one = Schema.decodeUnknownSync(SummaryMetrics)(Evaluate.summarize!(single).metrics)
      expect(one.series).toBeUndefined()
      expect(Object.keys(one.test!).filter((k) => k.startsWith("macro"))).toEqual([])
      expect(one.test!["mase"]).toBeCloseTo(2 / 7, 12)
    }))

  it.effect("its cached output round-trips, per-series scores and series-named predictions included", () =>
    Effect.gen(function*() {
      const evaluation = yield* evaluate({ config, dataset: panel(2, { val: [[0, 3]], test: [[0, 6], [1, 5]] }), predict: predictFor(2) })
      const encoded = Evaluate.encode(evaluation)
      const files = new Map(encoded.files.map((f) => [f.name, typeof f.data === "string" ? encoder.encode(f.data) : f.data]))
      const decoded = yield* Evaluate.decode({
        dir: "",
        stage: "evaluate",
        key: "",
        outputHash: "",
        meta: encoded.meta,
        names: [...files.keys()],
        files: (name) => Effect.succeed(files.get(name)!)
      })
      expect(decoded.testPredictions.map((p) => p.series)).toEqual(["a", "b"])
      expect(decoded.report.splits.test!.series!.map((s) => s.id)).toEqual(["a", "b"])
      expect(decoded.report.splits.test!.steps!.map((s) => s.step)).toEqual([1, 2])
      expect(decoded.report.splits.test!.micro!.model.mase).toBeCloseTo(evaluation.report.splits.test!.micro!.model.mase, 12)
    }))
})
