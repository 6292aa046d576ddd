import { Effect, Schema } from "effect"
import { predictWith } from "../engine/predict.js"
import { EvalReport, evaluate, type Evaluation, PredictionRow } from "../evaluate/evaluate.js"
import { Tracker } from "../tracking/Tracker.js"
import { PrepareData } from "./PrepareData.js"
import type { Stage } from "./Stage.js"
import { Train } from "./Train.js"

const decoder = new TextDecoder()

/** The model's scores per split as summary.json's `metrics`: model metrics, baselines and skill beside them. */
const summaryMetrics = (evaluation: Evaluation) => {
  const report = Schema.encodeSync(EvalReport)(evaluation.report)
  const splits = Object.entries(report.splits).flatMap(([name, r]) => (r === undefined ? [] : [[name, r] as const]))
  return {
    season: report.season,
    horizon: report.horizon,
    ...Object.fromEntries(splits.map(([name, r]) => [name, r.model])),
    baselines: Object.fromEntries(splits.map(([name, r]) => [name, r.baselines])),
    skill: Object.fromEntries(splits.map(([name, r]) => [name, r.skill]))
  }
}

/** Evaluate: the model and the naive baselines on val and test, cached on the eval settings, model and data. */
export const Evaluate: Stage<Evaluation, { readonly data: typeof PrepareData; readonly model: typeof Train }> = {
  name: "evaluate",
  version: 3,
  needs: { data: PrepareData, model: Train },
  inRun: false,
  reads: ({ loaded: { config } }) => Effect.succeed({ eval: config.eval }),
  run: ({ data, model }, { loaded }) => evaluate({ config: loaded.config, dataset: data, predict: predictWith(model) }),
  publish: (evaluation, _cached, { model }) =>
    Effect.flatMap(Tracker, (tracker) => {
      const final: Record<string, number> = {}
      for (const [split, report] of Object.entries(evaluation.report.splits)) {
        if (report === undefined) continue
        for (const [metric, value] of Object.entries(report.model)) if (Number.isFinite(value)) final[`${split}/${metric}`] = value
      }
      return tracker.logMetrics(final, model.state.history.length, "final")
    }),
  summarize: (evaluation) => ({ metrics: summaryMetrics(evaluation) }),
  encode: (evaluation) => ({
    files: [
      { name: "report.json", data: JSON.stringify(Schema.encodeSync(EvalReport)(evaluation.report), null, 2) },
      { name: "test_predictions.json", data: JSON.stringify(Schema.encodeSync(Schema.Array(PredictionRow))(evaluation.testPredictions)) }
    ],
    meta: {}
  }),
  decode: (entry) =>
    Effect.gen(function*() {
      const report = yield* Schema.decodeUnknown(Schema.parseJson(EvalReport))(decoder.decode(yield* entry.files("report.json")))
      const testPredictions = yield* Schema.decodeUnknown(Schema.parseJson(Schema.Array(PredictionRow)))(
        decoder.decode(yield* entry.files("test_predictions.json"))
      )
      return { report, testPredictions }
    })
}
