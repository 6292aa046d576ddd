import { Schema } from "effect"

/** The loss became NaN or infinite: training stops, the last good checkpoint is kept. */
export class TrainingDiverged extends Schema.TaggedError<TrainingDiverged>()("TrainingDiverged", {
  epoch: Schema.Number,
  step: Schema.Number,
  loss: Schema.Number,
  lastCheckpoint: Schema.NullOr(Schema.String)
}) {
  override get message(): string {
    return `training diverged: loss is ${this.loss} at epoch ${this.epoch}, step ${this.step}.`
  }
}
