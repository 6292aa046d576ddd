import type { TrainConfig } from "../config/TrainConfig.js"

/** The reduce-on-plateau rule's state: the current rate and epochs waited since the last change. */
export interface PlateauState {
  readonly lr: number
  readonly wait: number
}

/**
 * Keras' ReduceLROnPlateau after one epoch: an improvement resets the wait; more than `patience`
 * epochs without one multiply the rate by `factor` (never below `min_lr`) and reset the wait.
 * Other schedules only reset the wait.
 */
export const reduceOnPlateau = (
  schedule: TrainConfig["train"]["schedule"],
  state: PlateauState,
  improved: boolean
): PlateauState => {
  if (schedule.kind !== "reduce_on_plateau" || improved) return { lr: state.lr, wait: 0 }
  if (state.wait + 1 > schedule.patience) return { lr: Math.max(schedule.min_lr, state.lr * schedule.factor), wait: 0 }
  return { lr: state.lr, wait: state.wait + 1 }
}
