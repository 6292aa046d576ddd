import { Path } from "@effect/platform"
import { Effect, Schema } from "effect"
import { ConfigError } from "../config/ConfigError.js"
import type { Dataset } from "../data/Dataset.js"
import { predictorFor } from "../engine/predict.js"
import { EvalReport, evaluate } from "../evaluate/evaluate.js"
import { Progress } from "../progress/Progress.js"
import { checkpointWeights, openCheckpoints } from "../resume/ActiveRun.js"
import { RunFiles } from "../rundir/files.js"
import { resumeRunDir } from "../rundir/location.js"
import * as RunDirectory from "../rundir/RunDirectory.js"
import type { RunConfig } from "../stages/Stage.js"
import { modelSpec } from "../stages/Train.js"

/** `--validate-only` needs a checkpoint to validate: checked before anything runs. */
export const checkValidateOnly = ({ source, loaded: { config } }: RunConfig) =>
  config.checkpoint.validate_only && config.checkpoint.resume === null
    ? Effect.fail(
      new ConfigError({
        file: source.file,
        field: "checkpoint.validate_only",
        message: "--validate-only evaluates a checkpoint, but no --resume was given.",
        fix: "add --resume <last|best|checkpoint dir>"
      })
    )
    : Effect.void

/** Evaluate one checkpoint without training (`--resume X --validate-only`), into `validation/<checkpoint>.json`. */
export const validateCheckpoint = Effect.fn("Pipeline.validate")(function*(config: RunConfig, dataset: Dataset, ref: string) {
  const path = yield* Path.Path
  const progress = yield* Progress
  const c = config.loaded.config
  const location = yield* resumeRunDir(c, ref)
  const dir = yield* RunDirectory.make(location)
  const loaded = yield* checkpointWeights(yield* openCheckpoints(c, dir), ref)
  const evaluation = yield* Effect.scoped(
    Effect.flatMap(
      predictorFor({ spec: modelSpec(c, dataset), weights: loaded.weights }),
      (predict) => evaluate({ config: c, dataset, predict })
    )
  )
  const file = `${RunFiles.validation}/${path.basename(loaded.path)}.json`
  yield* dir.write(file, JSON.stringify(Schema.encodeSync(EvalReport)(evaluation.report), null, 2) + "\n")
  yield* progress.note(`validated ${loaded.path}`)
  return { location, evaluation }
})
