import { Schema } from "effect"
import { DataConfig } from "../data/DataConfig.js"
import { field, NonNegativeInt, PositiveInt, PositiveNumber, section } from "./fields.js"

const Probability = Schema.Number.pipe(Schema.between(0, 0.95))

/** The `model:` section: the LSTM stack and its dense head. */
export const ModelConfig = Schema.Struct({
  layers: field(PositiveInt.pipe(Schema.lessThanOrEqualTo(8)), 2, "Number of stacked LSTM layers."),
  hidden_size: field(PositiveInt.pipe(Schema.lessThanOrEqualTo(1024)), 64, "Hidden units of each LSTM layer."),
  dropout: field(Probability, 0, "Dropout rate on each LSTM layer's output while training (0 disables).")
})

const ScheduleConfig = Schema.Struct({
  kind: field(
    Schema.Literal("constant", "reduce_on_plateau", "cosine"),
    "constant",
    "Learning-rate schedule: constant, reduce_on_plateau (on the monitored metric) or cosine (to min_lr over all epochs)."
  ),
  factor: field(Schema.Number.pipe(Schema.between(0.01, 0.99)), 0.5, "reduce_on_plateau: multiply the rate by this."),
  patience: field(NonNegativeInt, 3, "reduce_on_plateau: epochs without improvement before reducing."),
  min_lr: field(Schema.Number.pipe(Schema.nonNegative()), 1e-5, "Lowest learning rate a schedule may reach."),
  warmup_epochs: field(NonNegativeInt, 0, "Linear warm-up epochs before the schedule starts.")
})

const EarlyStoppingConfig = Schema.Struct({
  enabled: field(Schema.Boolean, true, "Stop when the monitored metric stops improving."),
  monitor: field(Schema.Literal("val_loss", "train_loss"), "val_loss", "Metric watched by early stopping, the schedule and the best checkpoint."),
  mode: field(Schema.Literal("min", "max"), "min", "Whether lower (min) or higher (max) is better."),
  patience: field(NonNegativeInt, 8, "Epochs without improvement before stopping."),
  min_delta: field(Schema.Number.pipe(Schema.nonNegative()), 0, "Smallest change that counts as an improvement."),
  restore_best: field(Schema.Boolean, true, "Finish with the best epoch's weights rather than the last.")
})

/** The `train:` section: optimisation. */
export const TrainSection = Schema.Struct({
  epochs: field(PositiveInt, 40, "Maximum number of epochs."),
  batch_size: field(PositiveInt.pipe(Schema.lessThanOrEqualTo(65536)), 64, "Windows per optimizer step."),
  learning_rate: field(PositiveNumber.pipe(Schema.lessThanOrEqualTo(10)), 0.002, "Initial learning rate."),
  optimizer: field(Schema.Literal("adam", "adamw", "sgd"), "adam", "Optimizer: adam, adamw (decoupled weight decay) or sgd (momentum)."),
  beta1: field(Schema.Number.pipe(Schema.between(0, 0.9999)), 0.9, "Adam first-moment decay."),
  beta2: field(Schema.Number.pipe(Schema.between(0, 0.999999)), 0.999, "Adam second-moment decay."),
  epsilon: field(PositiveNumber, 1e-7, "Adam epsilon (Keras default)."),
  weight_decay: field(Schema.Number.pipe(Schema.nonNegative()), 0, "adamw: decoupled weight decay."),
  momentum: field(Schema.Number.pipe(Schema.between(0, 0.999)), 0.9, "sgd: momentum."),
  clip_norm: field(Schema.NullOr(PositiveNumber), 1, "Clip gradients to this global norm (null disables)."),
  schedule: section(ScheduleConfig, "Learning-rate schedule."),
  early_stopping: section(EarlyStoppingConfig, "Early stopping."),
  shuffle: field(Schema.Boolean, true, "Shuffle training windows each epoch (seeded).")
})

/** The `checkpoint:` section. */
export const CheckpointSection = Schema.Struct({
  save_interval: field(NonNegativeInt, 1, "Save a checkpoint every N epochs (0 disables periodic epoch checkpoints)."),
  save_interval_batches: field(NonNegativeInt, 0, "Also save every N optimizer steps (0 disables); bounds what a SIGKILL can lose."),
  keep_last: field(PositiveInt, 3, "Periodic checkpoints kept (the best one is always kept)."),
  keep_every: field(NonNegativeInt, 0, "Also keep every checkpoint whose epoch is a multiple of this (0 disables)."),
  resume: field(Schema.NullOr(Schema.String), null, "Continue from a checkpoint: last, best, a checkpoint directory or a run directory."),
  validate_only: field(Schema.Boolean, false, "With resume: evaluate that checkpoint, do not train."),
  allow_config_change: field(
    Schema.Array(Schema.String),
    [],
    "Config paths allowed to differ from the checkpoint's on resume (e.g. train.epochs)."
  )
})

/** The `eval:` section. */
export const EvalSection = Schema.Struct({
  season: field(PositiveInt, 7, "Season length of the seasonal-naive baseline (7 = weekly for daily data)."),
  splits: field(
    Schema.Array(Schema.Literal("val", "test")),
    ["val", "test"],
    "Splits to evaluate."
  )
})

/** The `runtime:` section: where and how the math runs. Does not change results except threads and engine (summation order). */
export const RuntimeSection = Schema.Struct({
  device: field(
    Schema.Literal("auto", "cpu", "wasm", "webgpu", "tensorflow"),
    "auto",
    "tfjs backend: auto, cpu, wasm, webgpu or tensorflow (the optional tfjs-node-gpu)."
  ),
  gpu: field(Schema.NullOr(NonNegativeInt), null, "GPU index to use; an error when no GPU is available."),
  engine: field(
    Schema.Literal("auto", "native", "wasm", "webgpu", "reference", "tfjs"),
    "auto",
    "Training engine: native (C kernels, AVX-512/AVX2), wasm (WebAssembly SIMD), webgpu (WGSL kernels), reference (plain TypeScript), tfjs (tf.layers on the tfjs backend); auto picks the fastest available for the device."
  ),
  threads: field(NonNegativeInt, 0, "Worker threads of the fused engine (0 = number of cores; at most 4 × cores)."),
  progress: field(Schema.Boolean, true, "Show progress bars on a terminal (a line per epoch otherwise).")
})

/** The `tracking.mlflow:` section. */
const MlflowTrackingConfig = Schema.Struct({
  log_checkpoints: field(
    Schema.Boolean,
    false,
    "Also upload the checkpoints/ directory as MLflow artifacts at the end of the run (they can be large)."
  )
})

/** The `tracking:` section. */
export const TrackingSection = Schema.Struct({
  trackers: field(
    Schema.Array(Schema.Literal("console", "jsonl", "tensorboard", "mlflow", "wandb")),
    ["jsonl", "tensorboard"],
    "Tracker backends, all at once: console, jsonl, tensorboard, mlflow (MLFLOW_TRACKING_URI), wandb (WANDB_API_KEY)."
  ),
  histogram_every: field(NonNegativeInt, 5, "Log weight and gradient histograms every N epochs (0 disables)."),
  log_every_batches: field(PositiveInt, 1, "Log batch metrics every N steps."),
  mlflow: section(MlflowTrackingConfig, "MLflow options.")
})

/** Longest experiment or run name: it names a directory, and file systems allow 255 bytes. */
export const MAX_NAME_LENGTH = 128

const Name = Schema.String.pipe(
  Schema.maxLength(MAX_NAME_LENGTH, {
    message: (issue) =>
      `at most ${MAX_NAME_LENGTH} characters (it names a directory), got ${String(issue.actual).length}`
  }),
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    message: () => "use letters, digits, '.', '_' and '-' only (it names a directory)"
  })
)

/** The whole training config: the single source of truth for defaults, types, ranges and docs. */
export const TrainConfig = Schema.Struct({
  experiment: field(Name, "default", "Experiment name: runs are grouped under runs/<experiment>/."),
  run_name: field(Schema.NullOr(Name), null, "Run directory name (default: a timestamp and the config hash)."),
  tags: field(Schema.Array(Schema.String), [], "Free-form tags recorded with the run."),
  seed: field(NonNegativeInt, 42, "Seed for initialisation, shuffling, dropout and synthetic data."),
  output_dir: field(Schema.String, "runs", "Where run directories and the stage cache live (relative to the working directory)."),
  data: section(DataConfig, "Where the series comes from and how it is windowed."),
  model: section(ModelConfig, "The LSTM forecaster."),
  train: section(TrainSection, "Optimisation."),
  checkpoint: section(CheckpointSection, "Checkpoints, retention and resuming."),
  eval: section(EvalSection, "Evaluation and baselines."),
  runtime: section(RuntimeSection, "Device, threads and progress display."),
  tracking: section(TrackingSection, "Experiment tracking.")
})

/** A decoded, fully defaulted training config. */
export type TrainConfig = typeof TrainConfig.Type
