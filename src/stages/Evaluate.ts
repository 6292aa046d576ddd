import { Effect, Schema } from "effect"
import { predictorFor } from "../engine/predict.js"
import { EvalReport, evaluate, type Evaluation, PredictionRow, type SplitReport } from "../evaluate/evaluate.js"
import { Tracker } from "../tracking/Tracker.js"
import { PrepareData } from "./PrepareData.js"
import type { Stage } from "./Stage.js"
import { keptModelMetrics, Train } from "./Train.js"

const decoder = new TextDecoder()

/**
 * The model's headline numbers of one split: today's metrics, MASE and RMSSE (micro) and, for
 * many series, the macro averages as `macro_<metric>` — what summary.json, trackers and sweeps
 * (`test.macro_mase`) see.
 */
const headline = (report: SplitReport): Record<string, number> => {
  const macro = (report.series?.length ?? 0) > 1 && report.macro !== undefined ? report.macro.model : undefined
  return {
    ...report.model,
    mase: report.scale_free.model.mase,
    rmsse: report.scale_free.model.rmsse,
    ...(macro === undefined ? {} : { macro_rmse: macro.rmse, macro_mae: macro.mae, macro_mase: macro.mase, macro_rmsse: macro.rmsse })
  }
}

const orNull = (values: Record<string, number>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Number.isFinite(v) ? v : null]))

/** The model's scores per split as summary.json's `metrics`: headline metrics, baselines and skill beside them. */
const summaryMetrics = (evaluation: Evaluation) => {
  const report = Schema.encodeSync(EvalReport)(evaluation.report)
  const splits = Object.entries(report.splits).flatMap(([name, r]) => (r === undefined ? [] : [[name, r] as const]))
  const decoded = Object.entries(evaluation.report.splits).flatMap(([name, r]) => (r === undefined ? [] : [[name, r] as const]))
  const seriesCount = Math.max(0, ...decoded.map(([, r]) => r.series?.length ?? 0))
  return {
    season: report.season,
    horizon: report.horizon,
    ...(seriesCount > 1 ? { series: seriesCount } : {}),
    ...Object.fromEntries(decoded.map(([name, r]) => [name, orNull(headline(r))])),
    baselines: Object.fromEntries(splits.map(([name, r]) => [name, r.baselines])),
    skill: Object.fromEntries(splits.map(([name, r]) => [name, r.skill]))
  }
}

/** Evaluate: the model and the naive baselines on val and test, cached on the eval settings, model and data. */
export const Evaluate: Stage<Evaluation, { readonly data: typeof PrepareData; readonly model: typeof Train }> = {
  name: "evaluate",
  version: 4,
  needs: { data: PrepareData, model: Train },
  inRun: false,
  reads: ({ loaded: { config } }) => Effect.succeed({ eval: config.eval }),
  run: ({ data, model }, { loaded }) =>
    Effect.scoped(Effect.flatMap(predictorFor(model), (predict) => evaluate({ config: loaded.config, dataset: data, predict }))),
  publish: (evaluation, _cached, { model }, { loaded: { config } }) =>
    Effect.flatMap(Tracker, (tracker) => {
      // one final call: the kept model's losses beside its scores
      const final: Record<string, number> = { ...keptModelMetrics(model.state, config.train.early_stopping.restore_best) }
      for (const [split, report] of Object.entries(evaluation.report.splits)) {
        if (report === undefined) continue
        for (const [metric, value] of Object.entries(headline(report))) if (Number.isFinite(value)) final[`${split}/${metric}`] = value
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
