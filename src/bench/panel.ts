/**
 * Panel scale benchmark: a synthetic panel of N series × `days` daily rows is prepared (the real
 * PrepareData: per-series splits and scalers, calendar features, windows as views) and one epoch
 * of the real training loop runs over it on the native engine (wasm without a compiler). Each N
 * runs in its own child process, so its peak RSS (the kernel's high-water mark, which only grows)
 * is its own. One JSON line per N.
 *
 *   node dist/bench.js --panel 10,100,1000 [--days 3000] [--threads 2] [--train-windows 200000]
 *        [--val-windows 20000] [--series-id none|one_hot] [--holidays US]
 *
 * `--train-windows` caps the epoch at that many training windows, drawn evenly from all of them
 * (0: the whole epoch); the dataset in memory is the full one either way.
 */
import { NodeContext } from "@effect/platform-node"
import { spawnSync } from "node:child_process"
import { loadavg } from "node:os"
import { Effect, Layer } from "effect"
import { decodeConfigText } from "../config/loadConfig.js"
import { encodeDataset } from "../data/Dataset.js"
import { prepareData } from "../data/prepareData.js"
import { makeSplit, type Split } from "../data/views.js"
import { makeEngine } from "../engine/Engine.js"
import { nativeSupport } from "../engine/nativeAddon.js"
import { layerSilent } from "../progress/Progress.js"
import { modelSpec, optimizerSpec } from "../stages/Train.js"
import { makeMemory } from "../tracking/Memory.js"
import { trainLoop } from "../train/loop.js"
import { initialTrainState } from "../train/TrainState.js"

/** Options of one panel measurement. */
export interface PanelOptions {
  readonly series: number
  readonly days: number
  readonly threads: number
  readonly trainWindows: number
  readonly valWindows: number
  readonly seriesId: "none" | "one_hot"
  /** Holiday country of the calendar features (null: none). */
  readonly holidays: string | null
}

const mb = (kilobytes: number): number => Math.round(kilobytes / 1024)
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(" ")

/** Every `n / count`-th window of a split (all of them when count is 0 or at least n), as a split over the same inputs. */
const spread = (split: Split, count: number, subset: (start: Int32Array, series: Int32Array, y: Float32Array) => Split): Split => {
  if (count === 0 || count >= split.n) return split
  const horizon = split.y.length / split.n
  const pick = Int32Array.from({ length: count }, (_, i) => Math.floor((i * split.n) / count))
  const y = new Float32Array(count * horizon)
  pick.forEach((w, i) => y.set(split.y.subarray(w * horizon, (w + 1) * horizon), i * horizon))
  return subset(Int32Array.from(pick, (w) => split.start[w]!), Int32Array.from(pick, (w) => split.series[w]!), y)
}

/** One measurement, in this process: prepare, then one epoch. */
export const panelOnce = (o: PanelOptions) =>
  Effect.gen(function*() {
    const yaml = `
data:
  source: { kind: synthetic, series: ${o.series}, length: ${o.days} }
  series_id: ${o.seriesId}
  calendar: { holidays: { country: ${o.holidays ?? "null"} } }
train: { epochs: 1, early_stopping: { enabled: false } }
checkpoint: { save_interval: 0 }
runtime: { threads: ${o.threads} }
tracking: { histogram_every: 0 }
`
    const { config } = yield* decodeConfigText("bench-panel.yaml", yaml, [])
    const started = performance.now()
    const dataset = yield* prepareData(config.data, process.cwd()).pipe(Effect.provide(NodeContext.layer))
    const prepareSeconds = (performance.now() - started) / 1000
    const rssAfterPrepare = process.resourceUsage().maxRSS
    // what the stage cache stores: the manifest and the blobs
    const encodeStarted = performance.now()
    const encoded = encodeDataset(dataset)
    const encodeSeconds = (performance.now() - encodeStarted) / 1000
    const cacheBytes = encoded.blobs.reduce((sum, blob) => sum + blob.data.byteLength, 0)
    const { lookback } = dataset.manifest
    const subset = (start: Int32Array, series: Int32Array, y: Float32Array) => makeSplit(dataset.inputs, lookback, y, start, series)
    const train = spread(dataset.splits.train, o.trainWindows, subset)
    const val = spread(dataset.splits.val, o.valWindows, subset)
    const spec = modelSpec(config, dataset)
    const kind = nativeSupport().ok ? "native" as const : "wasm" as const
    const engine = yield* makeEngine({ kind, spec, optimizer: optimizerSpec(config), seed: config.seed, threads: o.threads })
    const memory = makeMemory()
    const out = yield* trainLoop({
      config,
      train,
      val,
      features: spec.features,
      engine,
      start: initialTrainState(config.train.learning_rate),
      bestWeights: null,
      checkpoints: { save: () => Effect.succeed("") }
    }).pipe(Effect.provide(Layer.merge(layerSilent, memory.layer)))
    const epoch = out.state.history[0]
    return {
      panel: o.series,
      days: o.days,
      rows: dataset.inputs.offsets[dataset.inputs.offsets.length - 1],
      features: dataset.manifest.features,
      windows: dataset.manifest.counts,
      prepare_s: Math.round(prepareSeconds * 100) / 100,
      encode_s: Math.round(encodeSeconds * 100) / 100,
      cache_mb: Math.round(cacheBytes / 1e6),
      engine: engine.name,
      threads: o.threads,
      model: { layers: spec.units.length, hidden: spec.units[0], lookback, batch: config.train.batch_size },
      epoch_train_windows: train.n,
      epoch_val_windows: val.n,
      samples_per_s: epoch === undefined ? null : Math.round(epoch.samples_per_s),
      epoch_train_s: Math.round(out.state.train_seconds * 10) / 10,
      peak_rss_mb_after_prepare: mb(rssAfterPrepare),
      peak_rss_mb: mb(process.resourceUsage().maxRSS),
      load_avg: load()
    }
  }).pipe(Effect.scoped)

/** Each panel size in a child process of this script (`--panel-once`), one JSON line each. */
export const panelBench = (script: string, execArgv: ReadonlyArray<string>, sizes: ReadonlyArray<number>, o: Omit<PanelOptions, "series">) =>
  Effect.sync(() => {
    console.log(JSON.stringify({ bench: "panel", load_avg: load() }))
    for (const series of sizes) {
      const args = [
        ...execArgv,
        script,
        "--panel-once",
        `${series}`,
        "--days",
        `${o.days}`,
        "--threads",
        `${o.threads}`,
        "--train-windows",
        `${o.trainWindows}`,
        "--val-windows",
        `${o.valWindows}`,
        "--series-id",
        o.seriesId,
        ...(o.holidays === null ? [] : ["--holidays", o.holidays])
      ]
      const child = spawnSync(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"] })
      if (child.status !== 0) throw new Error(`panel benchmark of ${series} series failed (exit ${child.status})`)
    }
  })
