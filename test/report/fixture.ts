import { mkdirSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"

/** What varies between fixture runs. */
export interface FixtureRun {
  readonly experiment: string
  readonly run: string
  readonly hiddenSize: number
  readonly learningRate: number
  readonly testRmse: number
  /** false: a run that has config and metrics but no summary (yet). */
  readonly finished?: boolean
  /** How long ago its files were last written (minutes). */
  readonly ageMinutes?: number
  readonly epochs?: number
}

const config = (r: FixtureRun) => `# resolved config (value ← source)
experiment: ${r.experiment} # ← configs/train.yaml
run_name: ${r.run} # ← --run-name
seed: 42 # ← default
data:
  source:
    kind: dataset
    name: us-births-1994-2003
  lookback: 28
  horizon: 1
model:
  layers: 2
  hidden_size: ${r.hiddenSize} # ← --set model.hidden_size
  dropout: 0
train:
  epochs: 60
  batch_size: 64
  learning_rate: ${r.learningRate}
  schedule: { kind: reduce_on_plateau, factor: 0.5, patience: 4 }
tracking:
  trackers: [jsonl, tensorboard]
`

/** Write a realistic run directory: config.yaml, metrics.jsonl, predictions/test.csv and (when finished) summary.json. */
export const writeRunFixture = (outputDir: string, r: FixtureRun): string => {
  const dir = join(outputDir, r.experiment, r.run)
  mkdirSync(join(dir, "predictions"), { recursive: true })
  writeFileSync(join(dir, "config.yaml"), config(r))
  const epochs = r.epochs ?? 8
  const lines: Array<string> = []
  let time = Date.parse("2024-05-01T10:00:00Z")
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (let b = 1; b <= 3; b++) {
      lines.push(JSON.stringify({ kind: "batch", step: (epoch - 1) * 3 + b, time: (time += 300), "train/loss": 1 / epoch + b / 100, lr: r.learningRate }))
    }
    // Validation improves until epoch 5, then overfits.
    const val = 0.2 + Math.abs(epoch - 5) * 0.03 + r.testRmse / 10000
    lines.push(JSON.stringify({ kind: "epoch", step: epoch, time, "train/loss": 0.6 / epoch, "val/loss": val, lr: r.learningRate, samples_per_s: 5200, epoch_time_s: 0.9 }))
  }
  writeFileSync(join(dir, "metrics.jsonl"), lines.join("\n") + "\n")
  const csv = ["time,actual,predicted,seasonal_naive,last_value"]
  for (let day = 0; day < 60; day++) {
    const date = new Date(Date.UTC(2003, 9, 1 + day)).toISOString().slice(0, 10)
    const actual = 11000 + 1500 * Math.sin((2 * Math.PI * day) / 7)
    csv.push(`${date},${actual.toFixed(1)},${(actual + 150 * Math.cos(day)).toFixed(1)},${(actual + 400).toFixed(1)},${(actual - 300).toFixed(1)}`)
  }
  writeFileSync(join(dir, "predictions", "test.csv"), csv.join("\n") + "\n")
  if (r.finished ?? true) {
    const summary = {
      experiment: r.experiment,
      run: r.run,
      run_dir: dir,
      config_file: join(dir, "config.yaml"),
      status: "success",
      started_at: `2024-05-01T10:0${r.hiddenSize % 10}:00Z`,
      finished_at: "2024-05-01T10:15:00Z",
      duration_s: 61.25,
      best_epoch: 5,
      epochs_completed: epochs,
      device: "cpu",
      engine: "wasm-simd",
      stopped_early: false,
      threads: 2,
      train_seconds: 55,
      samples_per_s: 4100,
      peak_rss_mb: 270,
      weights_sha256: "0".repeat(64),
      trained_in: dir,
      resumed_from: null,
      data: { source: "us-births-1994-2003", fingerprint: "f".repeat(16), windows: { train: 2500, val: 530, test: 530 } },
      metrics: {
        season: 7,
        horizon: 1,
        val: { mse: 250000, rmse: r.testRmse * 0.9, mae: r.testRmse * 0.7, mape: 3.1, smape: 3.05, r2: 0.91, directional_accuracy: 0.82 },
        test: { mse: r.testRmse ** 2, rmse: r.testRmse, mae: r.testRmse * 0.75, mape: 3.4, smape: 3.3, r2: 1 - r.testRmse / 10000, directional_accuracy: 0.8 },
        baselines: {
          test: {
            last_value: { rmse: 980.5, mae: 760.2, mape: 6.9 },
            seasonal_naive: { rmse: 612.4, mae: 480.9, mape: 4.4 }
          }
        },
        skill: { test: { rmse_vs_seasonal_naive: 1 - r.testRmse / 612.4 } }
      },
      hparams: { "model.hidden_size": r.hiddenSize, "train.learning_rate": r.learningRate },
      stages: {},
      versions: {}
    }
    writeFileSync(join(dir, "summary.json"), JSON.stringify(summary, null, 2))
  }
  const age = (r.ageMinutes ?? 60) * 60
  const when = Date.now() / 1000 - age
  for (const f of ["config.yaml", "metrics.jsonl", join("predictions", "test.csv"), ...(r.finished ?? true ? ["summary.json"] : [])]) {
    utimesSync(join(dir, f), when, when)
  }
  return dir
}

/** Test metrics of one forecaster whose MASE is `mase` (its other errors follow from it). */
const point = (mase: number) => ({ rmse: 400 * mase, mae: 300 * mase, mape: 3 * mase, smape: 3 * mase, mase, rmsse: 1.1 * mase })
const forecast = (mase: number) => ({ mse: (400 * mase) ** 2, rmse: 400 * mase, mae: 300 * mase, mape: 3 * mase, smape: 3 * mase, r2: 0.9, directional_accuracy: 0.8, count: 360 })
const average = (mase: number) => ({ rmse: 400 * mase, mae: 300 * mase, mase, rmsse: 1.1 * mase, count: 360 })
const byForecaster = <A>(make: (mase: number) => A, mase: number) => ({ model: make(mase), baselines: { last_value: make(2 * mase), seasonal_naive: make(1.5 * mase) } })

/** The series of the panel fixture and their test MASE: best north, median "east, west", worst south. */
export const panelSeries = [["north", 0.6], ["south", 1.4], ["east, west", 0.9]] as const

/**
 * A finished run over three series with horizon 3: the single-series fixture's files, then
 * predictions/test.csv with a series column (120 days per series) and eval.json with per-series,
 * macro, micro and per-step scores (as eval.json is encoded: NaN as null).
 */
export const writePanelRunFixture = (outputDir: string, r: FixtureRun): string => {
  const dir = writeRunFixture(outputDir, r)
  const csv = ["series,time,actual,predicted,seasonal_naive,last_value"]
  for (const [s, [id, mase]] of panelSeries.entries()) {
    for (let day = 0; day < 120; day++) {
      const date = new Date(Date.UTC(2003, 6, 1 + day)).toISOString().slice(0, 10)
      const actual = 1000 * (s + 1) + 150 * Math.sin((2 * Math.PI * day) / 7)
      const cell = id.includes(",") ? `"${id}"` : id
      csv.push(`${cell},${date},${actual.toFixed(1)},${(actual + 100 * mase * Math.cos(day)).toFixed(1)},${(actual + 60).toFixed(1)},${(actual - 40).toFixed(1)}`)
    }
  }
  writeFileSync(join(dir, "predictions", "test.csv"), csv.join("\n") + "\n")
  const skill = { vs_last_value: 0.5, vs_seasonal_naive: 1 / 3 }
  const report = {
    season: 7,
    horizon: 3,
    splits: {
      test: {
        ...byForecaster(forecast, 0.95),
        skill,
        scale_free: { model: { mase: 0.95, rmsse: 1 }, last_value: { mase: 1.9, rmsse: 2 }, seasonal_naive: { mase: 1.4, rmsse: 1.5 } },
        series: panelSeries.map(([id, mase]) => ({ id, count: 360, ...byForecaster(point, mase), skill })),
        macro: byForecaster(average, 0.97),
        micro: byForecaster(average, 0.95),
        steps: [1, 2, 3].map((step) => ({ step, count: 360, ...byForecaster(point, 0.7 + 0.2 * step), skill, macro: byForecaster(average, 0.7 + 0.2 * step) }))
      }
    }
  }
  writeFileSync(join(dir, "eval.json"), JSON.stringify(report, null, 2) + "\n")
  return dir
}
