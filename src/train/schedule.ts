import type { TrainConfig } from "../config/TrainConfig.js"

type Train = TrainConfig["train"]

/** Learning rate at the start of `epoch` (1-based) for the stateless schedules and warm-up. */
export const scheduledRate = (train: Train, epoch: number, current: number): number => {
  const { schedule, learning_rate: base, epochs } = train
  if (schedule.warmup_epochs > 0 && epoch <= schedule.warmup_epochs) return (base * epoch) / (schedule.warmup_epochs + 1)
  switch (schedule.kind) {
    case "constant":
      return base
    case "cosine": {
      const span = Math.max(1, epochs - schedule.warmup_epochs - 1)
      const progress = Math.min(1, (epoch - schedule.warmup_epochs - 1) / span)
      return schedule.min_lr + 0.5 * (base - schedule.min_lr) * (1 + Math.cos(Math.PI * progress))
    }
    default:
      // reduce_on_plateau is stateful: the rate only changes in `afterEpoch`; warm-up hands over to the base rate
      return epoch === schedule.warmup_epochs + 1 ? base : current
  }
}

/** reduce_on_plateau bookkeeping after an epoch: the next rate and the new wait counter. */
export const plateauStep = (
  train: Train,
  improved: boolean,
  lr: number,
  wait: number
): { readonly lr: number; readonly wait: number } => {
  if (train.schedule.kind !== "reduce_on_plateau" || improved) return { lr, wait: 0 }
  if (wait + 1 > train.schedule.patience) {
    return { lr: Math.max(train.schedule.min_lr, lr * train.schedule.factor), wait: 0 }
  }
  return { lr, wait: wait + 1 }
}

/** Whether `score` improves on `best` by more than `minDelta` in the given direction. */
export const improves = (score: number, best: number | null, mode: "min" | "max", minDelta: number): boolean =>
  best === null || (mode === "min" ? score < best - minDelta : score > best + minDelta)
