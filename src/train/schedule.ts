import type { TrainConfig } from "../config/TrainConfig.js"

/** The `train` settings a schedule reads. */
export type ScheduleSettings = Pick<TrainConfig["train"], "schedule" | "learning_rate" | "epochs">

/**
 * Learning rate at the start of `epoch` (1-based), nanoGPT's `get_lr` for epochs: linear warm-up,
 * then constant or cosine to `min_lr`. reduce_on_plateau keeps `current`, which only
 * `reduceOnPlateau` (plateau.ts) lowers after an epoch; warm-up hands over to the base rate.
 */
export const scheduledRate = (train: ScheduleSettings, epoch: number, current: number): number => {
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
    case "reduce_on_plateau":
      return epoch === schedule.warmup_epochs + 1 ? base : current
  }
}
