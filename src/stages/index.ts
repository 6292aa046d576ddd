import { Context } from "effect"
import { Evaluate } from "./Evaluate.js"
import { LoadConfig } from "./LoadConfig.js"
import { Persist } from "./Persist.js"
import { PrepareData } from "./PrepareData.js"
import type { AnyStage } from "./Stage.js"
import { Train } from "./Train.js"

/** The pipeline, in order: each stage after the stages it needs. A new stage is one file and one entry here. */
export const pipelineStages: ReadonlyArray<AnyStage> = [LoadConfig, PrepareData, Train, Evaluate, Persist]

/** The stages a run goes through: `pipelineStages`, unless a test provides a longer list. */
export class PipelineStages extends Context.Reference<PipelineStages>()("lstm-pipeline/PipelineStages", {
  defaultValue: (): ReadonlyArray<AnyStage> => pipelineStages
}) {}

/** The stage names accepted on the command line (`pipeline stage <name>`, `--force-stage`). */
export const stageNames = pipelineStages.map((s) => s.name)
