import { Schema } from "effect"
import { createRequire } from "node:module"
import type { TrainConfig } from "../config/TrainConfig.js"
import type { Dataset } from "../data/Dataset.js"
import type { Evaluation } from "../stages/Evaluate.js"
import { EvalReport } from "../stages/Evaluate.js"
import type { StageRun } from "../stages/runStage.js"
import type { StageName } from "../stages/Stage.js"
import type { TrainedModel } from "../stages/Train.js"
import type { RunStatus } from "../tracking/Tracker.js"
import type { RunLocation } from "./RunDir.js"

/** `summary.json`: what a run did and how well, readable without the rest of the directory. */
export interface RunSummary {
  readonly experiment: string
  readonly run: string
  readonly run_dir: string
  /** The config file the run was started from (absolute), for re-reading its data source. */
  readonly config_file: string
  readonly status: RunStatus
  readonly started_at: string
  readonly finished_at: string
  readonly duration_s: number
  readonly best_epoch: number | null
  readonly epochs_completed: number
  readonly stopped_early: boolean
  readonly device: string
  readonly engine: string | null
  readonly threads: number | null
  readonly train_seconds: number | null
  readonly samples_per_s: number | null
  readonly peak_rss_mb: number
  readonly weights_sha256: string | null
  readonly trained_in: string | null
  readonly resumed_from: string | null
  readonly data: { readonly source: string; readonly fingerprint: string; readonly windows: Dataset["manifest"]["counts"] }
  readonly metrics: unknown
  readonly hparams: Readonly<Record<string, string | number | boolean>>
  readonly stages: Readonly<Record<string, { readonly cached: boolean; readonly seconds: number; readonly key: string }>>
  readonly versions: Readonly<Record<string, string>>
}

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

/** `metrics` of summary.json: model metrics per split, baselines and skill beside them. */
const summaryMetrics = (evaluation: Evaluation) => {
  const report = Schema.encodeSync(EvalReport)(evaluation.report)
  const splits = Object.entries(report.splits).flatMap(([name, r]) => (r === undefined ? [] : [[name, r] as const]))
  return {
    season: report.season,
    horizon: report.horizon,
    ...Object.fromEntries(splits.map(([name, r]) => [name, r.model])),
    baselines: Object.fromEntries(splits.map(([name, r]) => [name, r.baselines])),
    skill: Object.fromEntries(splits.map(([name, r]) => [name, r.skill]))
  }
}

/** Assemble the summary of a finished (or failed) run. */
export const buildSummary = (input: {
  readonly config: TrainConfig
  readonly configFile: string
  readonly location: RunLocation
  readonly startedAt: Date
  readonly status: RunStatus
  readonly stages: Readonly<Partial<Record<StageName, StageRun<unknown>>>>
  readonly model: TrainedModel | null
  readonly evaluation: Evaluation | null
  readonly dataset: Dataset
}): RunSummary => {
  const { config, model, dataset } = input
  const finished = new Date()
  const history = model?.state.history ?? []
  const epochSamples = history.reduce((s, r) => s + r.samples_per_s * r.seconds, 0)
  const epochSeconds = history.reduce((s, r) => s + r.seconds, 0)
  const stages: Record<string, { cached: boolean; seconds: number; key: string }> = {}
  for (const [name, run] of Object.entries(input.stages)) {
    if (run !== undefined) stages[name] = { cached: run.cached, seconds: Number(run.seconds.toFixed(3)), key: run.key }
  }
  return {
    experiment: input.location.experiment,
    run: input.location.runName,
    run_dir: input.location.runDir,
    config_file: input.configFile,
    status: input.status,
    started_at: input.startedAt.toISOString(),
    finished_at: finished.toISOString(),
    duration_s: Number(((finished.getTime() - input.startedAt.getTime()) / 1000).toFixed(3)),
    best_epoch: model === null || model.state.best_epoch === 0 ? null : model.state.best_epoch,
    epochs_completed: history.length,
    stopped_early: model?.state.stopped_early ?? false,
    device: config.runtime.device,
    engine: model?.engine ?? null,
    threads: model?.threads ?? null,
    train_seconds: model === null ? null : Number(model.state.train_seconds.toFixed(3)),
    samples_per_s: epochSeconds > 0 ? Math.round(epochSamples / epochSeconds) : null,
    peak_rss_mb: peakRssMb(),
    weights_sha256: model?.weightsSha256 ?? null,
    trained_in: model?.trainedIn ?? null,
    resumed_from: model?.resumedFrom ?? null,
    data: { source: dataset.manifest.source, fingerprint: dataset.manifest.fingerprint, windows: dataset.manifest.counts },
    metrics: input.evaluation === null ? null : summaryMetrics(input.evaluation),
    hparams: hyperparameters(config),
    stages,
    versions: packageVersions()
  }
}

/** The summary as pretty JSON. */
export const summaryJson = (summary: RunSummary): string => JSON.stringify(summary, null, 2) + "\n"
