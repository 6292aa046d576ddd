import type { TrainConfig } from "../config/TrainConfig.js"

/** The direction and margin that make a score better. */
export type BestRule = Pick<TrainConfig["train"]["early_stopping"], "mode" | "min_delta">

/** The best monitored score so far and the epoch that reached it; score null before any epoch. */
export interface Best {
  readonly score: number | null
  readonly epoch: number
}

/** Whether `score` improves on `best` by more than `min_delta` in the rule's direction (anything beats no best yet). */
export const improves = (rule: BestRule, score: number, best: number | null): boolean =>
  best === null || (rule.mode === "min" ? score < best - rule.min_delta : score > best + rule.min_delta)

/** The best after `epoch` scored `score`, and whether this epoch became the best. */
export const trackBest = (rule: BestRule, best: Best, score: number, epoch: number): { readonly best: Best; readonly improved: boolean } =>
  improves(rule, score, best.score) ? { best: { score, epoch }, improved: true } : { best, improved: false }
