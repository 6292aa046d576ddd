import { Schema } from "effect"

/** A checkpoint failed verification; it is never loaded. The CLI prints `fix` on its own line, so `message` leaves it out. */
export class CheckpointCorrupt extends Schema.TaggedError<CheckpointCorrupt>()("CheckpointCorrupt", {
  path: Schema.String,
  reason: Schema.String,
  fix: Schema.String
}) {
  override get message(): string {
    return `checkpoint ${this.path} is corrupt: ${this.reason}.`
  }
}

/** The fix for a corrupt checkpoint. */
export const HINT_CORRUPT = "Resume from another checkpoint (--resume last skips corrupt ones) or delete this directory."

/** No checkpoint where one was asked for (`fix` is printed on its own line). */
export class CheckpointNotFound extends Schema.TaggedError<CheckpointNotFound>()("CheckpointNotFound", {
  path: Schema.String,
  reason: Schema.String,
  fix: Schema.String
}) {
  override get message(): string {
    return `no checkpoint at ${this.path}: ${this.reason}.`
  }
}

/** periodic: end of an epoch; emergency: on interrupt; best: copy of the best-scoring state. */
export const CheckpointKind = Schema.Literal("periodic", "emergency", "best")
export type CheckpointKind = typeof CheckpointKind.Type

/** Whether a lower or a higher score is better. */
export const ScoreMode = Schema.Literal("min", "max")
export type ScoreMode = typeof ScoreMode.Type

/** Where one tensor lies in `weights.bin` / `optimizer.bin`: byte offset, Float32 LE. */
export const TensorIndexEntry = Schema.Struct({
  name: Schema.String,
  shape: Schema.Array(Schema.NonNegativeInt),
  offset: Schema.NonNegativeInt
})
export type TensorIndexEntry = typeof TensorIndexEntry.Type

/** state.json: the store's own fields; `meta` is the training loop's and validated by it. */
export const CheckpointState = Schema.Struct({
  format: Schema.Literal("lstm-pipeline/checkpoint@1"),
  kind: CheckpointKind,
  epoch: Schema.NonNegativeInt,
  step: Schema.NonNegativeInt,
  /** null when no score was given (JSON has no NaN). */
  score: Schema.NullOr(Schema.Number),
  mode: ScoreMode,
  savedAt: Schema.String,
  tensors: Schema.Struct({
    weights: Schema.Array(TensorIndexEntry),
    optimizer: Schema.Array(TensorIndexEntry)
  }),
  meta: Schema.Unknown
})
export type CheckpointState = typeof CheckpointState.Type

/** Training state and the tensor index. */
export const STATE_FILE = "state.json"
/** Model tensors, Float32 little-endian, concatenated. */
export const WEIGHTS_FILE = "weights.bin"
/** Optimizer slots, Float32 little-endian, concatenated. */
export const OPTIMIZER_FILE = "optimizer.bin"
/** Directory name of the best checkpoint. */
export const BEST_NAME = "best"

const pad = (n: number, width: number): string => String(n).padStart(width, "0")

/** `epoch-0005-step-00001234`: written after epoch 5 (or during it), at optimizer step 1234. */
export const periodicName = (epoch: number, step: number): string => `epoch-${pad(epoch, 4)}-step-${pad(step, 8)}`
/** `emergency-step-00001240` */
export const emergencyName = (step: number): string => `emergency-step-${pad(step, 8)}`

/** What a checkpoint directory's name says about it. */
export type ParsedName =
  | { readonly kind: "periodic"; readonly epoch: number; readonly step: number }
  | { readonly kind: "emergency"; readonly epoch: undefined; readonly step: number }
  | { readonly kind: "best"; readonly epoch: undefined; readonly step: undefined }

/**
 * Parses a checkpoint directory name; undefined for anything else. Checkpoints written before
 * names said the completed epoch carry the next epoch instead (`epoch-0006-…` after epoch 5); they
 * parse the same, and resuming reads the position from state.json, never from the name.
 */
export const parseName = (name: string): ParsedName | undefined => {
  if (name === BEST_NAME) return { kind: "best", epoch: undefined, step: undefined }
  const periodic = /^epoch-(\d+)-step-(\d+)$/.exec(name)
  if (periodic !== null) return { kind: "periodic", epoch: Number(periodic[1]), step: Number(periodic[2]) }
  const emergency = /^emergency-step-(\d+)$/.exec(name)
  if (emergency !== null) return { kind: "emergency", epoch: undefined, step: Number(emergency[1]) }
  return undefined
}

/** True when `score` beats `than` strictly in `mode`; NaN never beats anything. */
export const isBetter = (score: number, than: number, mode: ScoreMode): boolean =>
  mode === "min" ? score < than : score > than
