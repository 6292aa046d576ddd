import type { TrainConfig } from "../config/TrainConfig.js"
import { trackBest } from "./best.js"
import { earlyStopping } from "./earlyStopping.js"
import { reduceOnPlateau } from "./plateau.js"
import type { TrainState } from "./TrainState.js"

/** The part of the training state the epoch-end rules read and write; it is saved in every checkpoint. */
export type EpochEndState = Pick<
  TrainState,
  "lr" | "best_score" | "best_epoch" | "epochs_without_improvement" | "plateau_wait" | "stopped_early"
>

/** What the rules decided after an epoch. */
export interface EpochEndDecision {
  /** The monitored score of the epoch. */
  readonly score: number
  /** Whether the epoch is the new best (its weights become the best checkpoint). */
  readonly improved: boolean
  /** The rules' state for the next epoch; `stopped_early` set when training should stop. */
  readonly next: EpochEndState
}

/** The score early stopping, the plateau schedule and the best checkpoint watch. */
export const monitoredScore = (
  monitor: TrainConfig["train"]["early_stopping"]["monitor"],
  trainLoss: number,
  valLoss: number | null
): number => (monitor === "val_loss" && valLoss !== null ? valLoss : trainLoss)

/** Best tracking, reduce-on-plateau and early stopping after `epoch`, in that order of dependence. */
export const epochEnd = (
  train: Pick<TrainConfig["train"], "schedule" | "early_stopping">,
  state: EpochEndState,
  epoch: number,
  losses: { readonly train: number; readonly val: number | null }
): EpochEndDecision => {
  const rule = train.early_stopping
  const score = monitoredScore(rule.monitor, losses.train, losses.val)
  const { best, improved } = trackBest(rule, { score: state.best_score, epoch: state.best_epoch }, score, epoch)
  const plateau = reduceOnPlateau(train.schedule, { lr: state.lr, wait: state.plateau_wait }, improved)
  const stopping = earlyStopping(rule, state.epochs_without_improvement, improved)
  return {
    score,
    improved,
    next: {
      lr: plateau.lr,
      plateau_wait: plateau.wait,
      best_score: best.score,
      best_epoch: best.epoch,
      epochs_without_improvement: stopping.epochsWithoutImprovement,
      stopped_early: stopping.stop
    }
  }
}
