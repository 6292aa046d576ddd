import type { TrainConfig } from "../config/TrainConfig.js"

/** The early-stopping settings the rule reads. */
export type EarlyStoppingRule = Pick<TrainConfig["train"]["early_stopping"], "enabled" | "patience">

/**
 * Lightning's EarlyStopping check after one epoch: the count of epochs without improvement (kept
 * even when stopping is off, for the record) and whether it now exceeds `patience`.
 */
export const earlyStopping = (
  rule: EarlyStoppingRule,
  epochsWithoutImprovement: number,
  improved: boolean
): { readonly epochsWithoutImprovement: number; readonly stop: boolean } => {
  const wait = improved ? 0 : epochsWithoutImprovement + 1
  return { epochsWithoutImprovement: wait, stop: rule.enabled && wait > rule.patience }
}
