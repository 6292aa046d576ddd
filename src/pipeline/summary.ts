import { createRequire } from "node:module"
import type { TrainConfig } from "../config/TrainConfig.js"
import type { RunStatus, RunSummary, SummaryPart } from "../rundir/files.js"
import type { RunLocation } from "../rundir/RunDirectory.js"
import type { StageRuns } from "../stages/runStage.js"

const require = createRequire(import.meta.url)

const versionOf = (pkg: string): string => {
  try {
    const manifest: unknown = require(`${pkg}/package.json`)
    return typeof manifest === "object" && manifest !== null && "version" in manifest && typeof manifest.version === "string"
      ? manifest.version
      : "unknown"
  } catch {
    return "not installed"
  }
}

/** Versions of what produced the run. */
export const packageVersions = (): Record<string, string> => ({
  node: process.versions.node,
  "lstm-pipeline": versionOf("lstm-pipeline"),
  effect: versionOf("effect"),
  "@tensorflow/tfjs": versionOf("@tensorflow/tfjs")
})

/** Peak resident memory of this process so far, in MB. */
export const peakRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024)

/** Flat hyperparameters: tracker params, the summary's `hparams` and run comparison. */
export const hyperparameters = (config: TrainConfig): Record<string, string | number | boolean> => ({
  "model.layers": config.model.layers,
  "model.hidden_size": config.model.hidden_size,
  "model.dropout": config.model.dropout,
  "train.learning_rate": config.train.learning_rate,
  "train.batch_size": config.train.batch_size,
  "train.epochs": config.train.epochs,
  "train.optimizer": config.train.optimizer,
  "train.schedule": config.train.schedule.kind,
  "data.lookback": config.data.lookback,
  "data.horizon": config.data.horizon,
  seed: config.seed
})

/** What the session knows of a run besides what the stages' outputs give. */
export interface SummaryBase {
  readonly config: TrainConfig
  readonly configFile: string
  readonly location: RunLocation
  readonly startedAt: number
  readonly finishedAt: number
  readonly status: RunStatus
  readonly stages: StageRuns
  /** What the satisfied stages' outputs say (`Stage.summarize`), merged. */
  readonly parts: SummaryPart
  /** Per tracker backend, what became of its points (filled when the trackers close). */
  readonly tracking?: RunSummary["tracking"]
}

/** Assemble the summary of a finished (or failed) run. */
export const buildSummary = (input: SummaryBase): RunSummary => {
  const stages: Record<string, { cached: boolean; seconds: number; key: string }> = {}
  for (const [name, run] of input.stages) stages[name] = { cached: run.cached, seconds: Number(run.seconds.toFixed(3)), key: run.key }
  return {
    experiment: input.location.experiment,
    run: input.location.runName,
    run_dir: input.location.runDir,
    config_file: input.configFile,
    status: input.status,
    started_at: new Date(input.startedAt).toISOString(),
    finished_at: new Date(input.finishedAt).toISOString(),
    duration_s: Number(((input.finishedAt - input.startedAt) / 1000).toFixed(3)),
    best_epoch: null,
    epochs_completed: 0,
    stopped_early: false,
    device: input.config.runtime.device,
    engine: null,
    threads: null,
    train_seconds: null,
    samples_per_s: null,
    weights_sha256: null,
    trained_in: null,
    resumed_from: null,
    data: null,
    metrics: null,
    ...input.parts,
    peak_rss_mb: peakRssMb(),
    hparams: hyperparameters(input.config),
    stages,
    versions: packageVersions(),
    tracking: { ...input.tracking }
  }
}
