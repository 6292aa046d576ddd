/**
 * Training-speed benchmark: the fused engine (1 and 2 threads), tf.layers.lstm on the tfjs
 * wasm backend, and PyTorch (when `/usr/bin/python3 -c "import torch"` works), one JSON line
 * per measurement plus an engine/PyTorch ratio per workload and thread count.
 *
 *   node --experimental-wasm-relaxed-simd dist/bench.js [--workloads reference,seq30,hidden128,batch256]
 *        [--steps 30] [--warmup 5] [--threads 1,2] [--simd auto|relaxed|plain]
 *        [--tfjs-steps 3] [--no-tfjs] [--no-torch] [--torch-steps 30]
 */
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { decodeConfigText } from "../config/loadConfig.js"
import type { Split } from "../data/Dataset.js"
import { layerSilent } from "../progress/Progress.js"
import { makeMemory } from "../tracking/Memory.js"
import { trainLoop } from "../train/loop.js"
import { initialTrainState } from "../train/TrainState.js"
import { makeEngine, type EngineOptions } from "../engine/Engine.js"
import { packageRoot } from "../engine/paths.js"
import { Rng } from "../random/Rng.js"
import type { Batch, OptimizerSpec } from "../engine/types.js"
import type { ModelSpec } from "../model/spec.js"

interface Workload {
  readonly name: string
  readonly seq: number
  readonly hidden: number
  readonly batch: number
  readonly features: number
  readonly layers: number
}

const WORKLOADS: ReadonlyArray<Workload> = [
  { name: "reference", seq: 60, hidden: 64, batch: 64, features: 4, layers: 2 },
  { name: "seq30", seq: 30, hidden: 32, batch: 64, features: 4, layers: 2 },
  { name: "hidden128", seq: 60, hidden: 128, batch: 64, features: 4, layers: 2 },
  { name: "batch256", seq: 60, hidden: 64, batch: 256, features: 4, layers: 2 }
]

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`)
const intArg = (name: string, dflt: number): number => {
  const v = argValue(name)
  const n = v === undefined ? dflt : Number(v)
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${v}`)
  return n
}

const adam: OptimizerSpec = { kind: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0, momentum: 0, clipNorm: null }

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const line = (w: Workload, impl: string, threads: number, ms: number): Record<string, string | number> => ({
  impl, threads, seq: w.seq, hidden: w.hidden, batch: w.batch, features: w.features, layers: w.layers,
  ms_per_step_median: Math.round(ms * 1000) / 1000,
  samples_per_s: Math.round((w.batch * 1000 * 10) / ms) / 10
})

const specOf = (w: Workload): ModelSpec => ({ features: w.features, lookback: w.seq, units: Array.from({ length: w.layers }, () => w.hidden), dropout: 0, outputs: 1 })

const batchOf = (w: Workload): Batch => {
  const rng = new Rng(1)
  return {
    x: new Float32Array(w.batch * w.seq * w.features).map(() => rng.normal()),
    y: new Float32Array(w.batch).map(() => rng.normal()),
    size: w.batch
  }
}

/** Median ms per training step of one engine configuration. */
const timeEngine = (o: EngineOptions, batch: Batch, warmup: number, steps: number) =>
  Effect.scoped(Effect.gen(function* () {
    const engine = yield* makeEngine(o)
    for (let i = 0; i < warmup; i++) yield* engine.step(batch, 1e-3)
    const times: Array<number> = []
    const cpu0 = process.cpuUsage()
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now()
      yield* engine.step(batch, 1e-3)
      times.push(performance.now() - t0)
    }
    const cpu = process.cpuUsage(cpu0)
    // CPU time of all threads: a contention-robust figure when other jobs share the cores
    return { name: engine.name, ms: median(times), cpuMs: (cpu.user + cpu.system) / 1000 / Math.max(steps, 1) }
  }))

const torchScript = (): string | null => {
  const root = packageRoot()
  if (root === null) return null
  const script = join(root, "..", "shared", "bench", "torch_lstm.py")
  if (!existsSync(script)) return null
  const probe = spawnSync("/usr/bin/python3", ["-c", "import torch"], { stdio: "ignore" })
  return probe.status === 0 ? script : null
}

const runTorch = (script: string, w: Workload, threads: number, steps: number): number | null => {
  const r = spawnSync("/usr/bin/python3", [script, "--seq", `${w.seq}`, "--hidden", `${w.hidden}`, "--batch", `${w.batch}`, "--features", `${w.features}`, "--layers", `${w.layers}`, "--threads", `${threads}`, "--steps", `${steps}`], {
    env: { ...process.env, OPENBLAS_NUM_THREADS: "1" },
    encoding: "utf8"
  })
  if (r.status !== 0) {
    console.error(`torch bench failed: ${r.stderr}`)
    return null
  }
  const out: unknown = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}")
  if (typeof out !== "object" || out === null || !("ms_per_step_median" in out) || typeof out.ms_per_step_median !== "number") return null
  const impl = "impl" in out && typeof out.impl === "string" ? out.impl : "torch"
  console.log(JSON.stringify(line(w, impl, threads, out.ms_per_step_median)))
  return out.ms_per_step_median
}

const main = Effect.gen(function* () {
  const names = (argValue("workloads") ?? WORKLOADS.map((w) => w.name).join(",")).split(",")
  const workloads = names.map((n) => {
    const w = WORKLOADS.find((x) => x.name === n)
    if (w === undefined) throw new Error(`unknown workload ${n}; known: ${WORKLOADS.map((x) => x.name).join(", ")}`)
    return w
  })
  const steps = intArg("steps", 30)
  const warmup = intArg("warmup", 5)
  const threadList = (argValue("threads") ?? "1,2").split(",").map(Number)
  const simdArg = argValue("simd") ?? "auto"
  if (simdArg !== "auto" && simdArg !== "relaxed" && simdArg !== "plain") throw new Error(`--simd must be auto, relaxed or plain`)
  const tfjsSteps = intArg("tfjs-steps", 3)
  const torch = flag("no-torch") ? null : torchScript()
  if (!flag("no-torch") && torch === null) console.error("PyTorch not found (/usr/bin/python3 -c 'import torch' failed or torch_lstm.py missing): skipping it")
  const referenceMs = new Map<number, number>()
  for (const w of workloads) {
    const batch = batchOf(w)
    const engineMs = w.name === "reference" ? referenceMs : new Map<number, number>()
    for (const threads of threadList) {
      const r = yield* timeEngine({ kind: "wasm", simd: simdArg, spec: specOf(w), optimizer: adam, seed: 1, threads }, batch, warmup, steps)
      engineMs.set(threads, r.ms)
      console.log(JSON.stringify({ ...line(w, r.name, threads, r.ms), cpu_ms_per_step: Math.round(r.cpuMs * 10) / 10 }))
    }
    if (!flag("no-tfjs") && tfjsSteps > 0) {
      const tf = yield* Effect.promise(() => import("@tensorflow/tfjs"))
      yield* Effect.promise(() => import("@tensorflow/tfjs-backend-wasm"))
      const ok = yield* Effect.promise(() => tf.setBackend("wasm"))
      if (ok) {
        const r = yield* timeEngine({ kind: "tfjs", spec: specOf(w), optimizer: adam, seed: 1, threads: 1 }, batch, 1, tfjsSteps)
        console.log(JSON.stringify(line(w, `${r.name}-tf.layers.lstm`, 1, r.ms)))
      }
    }
    if (torch !== null) {
      for (const threads of threadList) {
        const ms = runTorch(torch, w, threads, intArg("torch-steps", 30))
        const mine = engineMs.get(threads)
        if (ms !== null && mine !== undefined) {
          console.log(JSON.stringify({ ratio: "engine/torch", workload: w.name, threads, speedup: Math.round((ms / mine) * 100) / 100 }))
        }
      }
    }
  }
  if (!flag("no-pipeline")) {
    for (const threads of threadList) yield* pipelineThroughput(threads, referenceMs.get(threads))
  }
})

/**
 * The pipeline's own training throughput on the reference workload: the real loop (shuffling,
 * batch assembly, validation, tracker and progress calls, checkpoints off) over 4096 windows.
 */
const pipelineThroughput = (threads: number, engineMs: number | undefined) =>
  Effect.gen(function* () {
    const w = WORKLOADS.find((x) => x.name === "reference")!
    const yaml = `
data: { lookback: ${w.seq} }
model: { layers: ${w.layers}, hidden_size: ${w.hidden} }
train: { epochs: 3, batch_size: ${w.batch}, clip_norm: null, early_stopping: { enabled: false } }
checkpoint: { save_interval: 0 }
runtime: { threads: ${threads} }
tracking: { histogram_every: 0 }
`
    const { config } = yield* decodeConfigText("bench.yaml", yaml, [])
    const rng = new Rng(3)
    const split = (n: number): Split => {
      const x = new Float32Array(n * w.seq * w.features)
      for (let i = 0; i < x.length; i++) x[i] = rng.normal()
      const y = new Float32Array(n)
      for (let i = 0; i < n; i++) y[i] = rng.normal()
      return { n, x, y, start: new Int32Array(n) }
    }
    const engine = yield* makeEngine({ kind: "wasm", spec: specOf(w), optimizer: adam, seed: 1, threads })
    const memory = makeMemory()
    const out = yield* trainLoop({
      config,
      train: split(4096),
      val: split(256),
      features: w.features,
      engine,
      start: initialTrainState(config.train.learning_rate),
      bestWeights: null,
      checkpoints: { save: () => Effect.succeed("") }
    }).pipe(Effect.provide(Layer.merge(layerSilent, memory.layer)))
    // the first epoch includes warm-up; report the later ones
    const rate = median(out.state.history.slice(1).map((r) => r.samples_per_s))
    const engineRate = engineMs === undefined ? undefined : (w.batch * 1000) / engineMs
    console.log(JSON.stringify({
      ...line(w, `pipeline-train-loop(${engine.name})`, threads, (w.batch * 1000) / rate),
      ...(engineRate === undefined ? {} : { fraction_of_engine: Math.round((rate / engineRate) * 1000) / 1000 })
    }))
  }).pipe(Effect.scoped)

Effect.runPromise(main).catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
