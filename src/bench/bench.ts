/**
 * Training-speed benchmark: the fused engines (native and wasm, 1 and 2 threads), tf.layers.lstm
 * on the tfjs wasm backend, and PyTorch, one JSON line per measurement. Engines and PyTorch run
 * interleaved (A B A B, `--rounds` times) so that load from other processes hits both alike;
 * the medians over rounds give an engine/PyTorch ratio per workload and thread count, and each
 * engine line its GFLOP/s and fraction of the measured peak FMA rate of the cores it used.
 *
 *   node --experimental-wasm-relaxed-simd dist/bench.js [--workloads reference,seq30,hidden128,batch256]
 *        [--engines native,wasm] [--rounds 3] [--steps 30] [--warmup 5] [--threads 1,2]
 *        [--simd auto|relaxed|plain] [--torch-python /tmp/torch/bin/python] [--torch-steps 30]
 *        [--no-torch] [--tfjs-steps 3] [--no-tfjs] [--no-pipeline]
 *   ... dist/bench.js --panel 10,100,1000 [--days 3000] [--train-windows 200000]: PrepareData and
 *        one training epoch over synthetic panels, with peak RSS (src/bench/panel.ts)
 *   ... dist/bench.js --device webgpu [--batches 64,256,1024,4096] [--steps 10] [--warmup 2]:
 *        the fused WGSL engine on the WebGPU adapter instead (src/bench/webgpu.ts)
 *
 * `--torch-python` names the Python that has torch (the official wheel in a venv, say); without
 * it /usr/bin/python3 is tried (Debian's python3-torch). Its version is in each line's `impl`.
 */
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { loadavg } from "node:os"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { decodeConfigText } from "../config/loadConfig.js"
import type { Split } from "../data/Dataset.js"
import { makeSplit } from "../data/views.js"
import { layerSilent } from "../progress/Progress.js"
import { makeMemory } from "../tracking/Memory.js"
import { trainLoop } from "../train/loop.js"
import { initialTrainState } from "../train/TrainState.js"
import { makeEngine, type EngineOptions } from "../engine/Engine.js"
import { nativeSupport } from "../engine/nativeAddon.js"
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
  { name: "batch256", seq: 60, hidden: 64, batch: 256, features: 4, layers: 2 },
  // not run by default: the CPU side of the GPU comparison (src/bench/h200/run.sh)
  { name: "batch1024", seq: 60, hidden: 64, batch: 1024, features: 4, layers: 2 },
  { name: "batch4096", seq: 60, hidden: 64, batch: 4096, features: 4, layers: 2 }
]
const DEFAULT_WORKLOADS = "reference,seq30,hidden128,batch256"

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

interface Torch {
  readonly python: string
  readonly script: string
}

const torchScriptPath = (): string | null => {
  const root = packageRoot()
  const candidates = [process.env["TORCH_LSTM_SCRIPT"], root === null ? undefined : join(root, "..", "shared", "bench", "torch_lstm.py"), "/work/shared/bench/torch_lstm.py"]
  return candidates.find((p): p is string => p !== undefined && existsSync(p)) ?? null
}

const findTorch = (python: string): Torch | string => {
  const script = torchScriptPath()
  if (script === null) return "torch_lstm.py not found (set TORCH_LSTM_SCRIPT)"
  const probe = spawnSync(python, ["-c", "import torch"], { stdio: "ignore" })
  return probe.status === 0 ? { python, script } : `${python} -c 'import torch' failed`
}

// Runs torch_lstm.py unchanged, also recording the process CPU time from its first timed step
// (its first perf_counter call) to exit: CPU ms per step, a figure other processes on the
// cores barely move, where wall time moves with them.
const CPU_WRAPPER = `
import atexit, json, runpy, sys, time
real = time.perf_counter
state = {}
def counter():
    state.setdefault("cpu0", time.process_time())
    return real()
time.perf_counter = counter
atexit.register(lambda: print(json.dumps({"cpu_ms_total": (time.process_time() - state.get("cpu0", time.process_time())) * 1000})))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
`

const numberField = (o: unknown, key: string): number | null =>
  typeof o === "object" && o !== null && key in o && typeof (o as Record<string, unknown>)[key] === "number" ? (o as Record<string, number>)[key]! : null

const runTorch = ({ python, script }: Torch, w: Workload, threads: number, steps: number): { ms: number; cpuMs: number | null } | null => {
  const args = [script, "--seq", `${w.seq}`, "--hidden", `${w.hidden}`, "--batch", `${w.batch}`, "--features", `${w.features}`, "--layers", `${w.layers}`, "--threads", `${threads}`, "--steps", `${steps}`]
  const r = spawnSync(python, ["-c", CPU_WRAPPER, ...args], {
    env: { ...process.env, OPENBLAS_NUM_THREADS: "1" },
    encoding: "utf8"
  })
  if (r.status !== 0) {
    console.error(`torch bench failed: ${r.stderr}`)
    return null
  }
  const lines = r.stdout.trim().split("\n").map((l): unknown => {
    try {
      return JSON.parse(l)
    } catch {
      return null
    }
  })
  const out = lines.find((l) => numberField(l, "ms_per_step_median") !== null)
  const ms = numberField(out, "ms_per_step_median")
  if (ms === null) return null
  const total = lines.map((l) => numberField(l, "cpu_ms_total")).find((x) => x !== null) ?? null
  const cpuMs = total === null ? null : total / Math.max(steps, 1)
  const impl = typeof out === "object" && out !== null && "impl" in out && typeof out.impl === "string" ? out.impl : "torch"
  console.log(JSON.stringify({ ...line(w, impl, threads, ms), ...(cpuMs === null ? {} : { cpu_ms_per_step: round1(cpuMs) }), gflops: round1(gflops(w, ms)) }))
  return { ms, cpuMs }
}

const round1 = (x: number): number => Math.round(x * 10) / 10

/**
 * Matmul FLOPs of one training step (forward, BPTT, weight gradients; the gate math and the
 * head are a few percent more): the work PyTorch and the engines both do.
 */
const flopsPerStep = (w: Workload): number => {
  let total = 0
  let input = w.features
  for (let l = 0; l < w.layers; l++) {
    const u = w.hidden
    const g = 4 * u
    total += w.seq * 2 * w.batch * (input + u) * g // z_t = [x_t | h_t-1] W
    total += (w.seq - 1) * 2 * w.batch * g * u * 2 // dh_t-1 = dz R^T, dR = h^T dz
    total += w.seq * 2 * w.batch * input * g // dW = x^T dz
    if (l > 0) total += w.seq * 2 * w.batch * g * input // dx = dz W^T
    input = u
  }
  return total
}

const gflops = (w: Workload, ms: number): number => flopsPerStep(w) / (ms * 1e6)

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(" ")

const main = Effect.gen(function* () {
  const panel = argValue("panel") ?? argValue("panel-once")
  if (panel !== undefined) {
    const { panelBench, panelOnce } = yield* Effect.promise(() => import("./panel.js"))
    const seriesId = argValue("series-id") ?? "none"
    if (seriesId !== "none" && seriesId !== "one_hot") throw new Error(`--series-id must be none or one_hot, got ${seriesId}`)
    const options = {
      days: intArg("days", 3000),
      threads: intArg("threads", 2),
      trainWindows: intArg("train-windows", 200_000),
      valWindows: intArg("val-windows", 20_000),
      seriesId,
      holidays: argValue("holidays") ?? null
    } as const
    if (argValue("panel-once") !== undefined) return console.log(JSON.stringify(yield* panelOnce({ ...options, series: Number(panel) })))
    return yield* panelBench(process.argv[1]!, process.execArgv, panel.split(",").map(Number), options)
  }
  if (argValue("device") === "webgpu") {
    const batches = (argValue("batches") ?? "64,256,1024,4096").split(",").map(Number)
    const { webgpuBench } = yield* Effect.promise(() => import("./webgpu.js"))
    return yield* webgpuBench({ batches, steps: intArg("steps", 10), warmup: intArg("warmup", 2), seq: 60, hidden: 64, layers: 2, features: 4 })
  }
  const names = (argValue("workloads") ?? DEFAULT_WORKLOADS).split(",")
  const workloads = names.map((n) => {
    const w = WORKLOADS.find((x) => x.name === n)
    if (w === undefined) throw new Error(`unknown workload ${n}; known: ${WORKLOADS.map((x) => x.name).join(", ")}`)
    return w
  })
  const steps = intArg("steps", 30)
  const warmup = intArg("warmup", 5)
  const rounds = Math.max(1, intArg("rounds", 3))
  const threadList = (argValue("threads") ?? "1,2").split(",").map(Number)
  const simdArg = argValue("simd") ?? "auto"
  if (simdArg !== "auto" && simdArg !== "relaxed" && simdArg !== "plain") throw new Error(`--simd must be auto, relaxed or plain`)
  const native = nativeSupport()
  const engines = (argValue("engines") ?? (native.ok ? "native,wasm" : "wasm")).split(",")
  for (const e of engines) if (e !== "native" && e !== "wasm") throw new Error(`--engines takes native and/or wasm, got ${e}`)
  if (!native.ok) {
    console.error(`native engine unavailable: ${native.reason}`)
    if (engines.includes("native")) throw new Error("--engines native needs the native engine")
  }
  const tfjsSteps = intArg("tfjs-steps", 3)
  const torchPython = argValue("torch-python")
  const torchFound = flag("no-torch") ? null : findTorch(torchPython ?? "/usr/bin/python3")
  if (typeof torchFound === "string") {
    if (torchPython !== undefined) throw new Error(`--torch-python: ${torchFound}`)
    console.error(`PyTorch not found (${torchFound}): skipping it; pass --torch-python <venv>/bin/python for the official wheel`)
  }
  const torch = typeof torchFound === "string" ? null : torchFound
  // the peak FMA rate of one core with the native kernels' widest vectors (the CPU's own figure)
  const peak = native.ok ? native.addon.peakGflops(native.isa, 0.3) : null
  console.log(JSON.stringify({ load_avg: load(), ...(native.ok ? { peak_gflops_per_core: round1(peak ?? 0), peak_isa: native.isa } : {}) }))
  const referenceMs = new Map<number, number>()
  let best = "wasm"
  for (const w of workloads) {
    const batch = batchOf(w)
    for (const threads of threadList) {
      const times = new Map<string, Array<number>>()
      const cpuTimes = new Map<string, Array<number>>()
      const push = (name: string, ms: number, cpuMs: number | null): void => {
        times.set(name, [...(times.get(name) ?? []), ms])
        if (cpuMs !== null) cpuTimes.set(name, [...(cpuTimes.get(name) ?? []), cpuMs])
      }
      for (let r = 0; r < rounds; r++) {
        for (const e of engines) {
          const kind = e === "native" ? "native" as const : "wasm" as const
          const t = yield* timeEngine({ kind, simd: simdArg, spec: specOf(w), optimizer: adam, seed: 1, threads }, batch, warmup, steps)
          push(t.name, t.ms, t.cpuMs)
          console.log(JSON.stringify({
            ...line(w, t.name, threads, t.ms), round: r + 1, cpu_ms_per_step: round1(t.cpuMs), gflops: round1(gflops(w, t.ms)),
            // of the cores' peak: by wall time (lowered by other load) and by this process's CPU time
            ...(peak === null ? {} : {
              fraction_of_peak: Math.round((gflops(w, t.ms) / (peak * threads)) * 1000) / 1000,
              fraction_of_peak_cpu_time: Math.round((gflops(w, t.cpuMs) / peak) * 1000) / 1000
            })
          }))
        }
        if (torch !== null) {
          const t = runTorch(torch, w, threads, intArg("torch-steps", 30))
          if (t !== null) push("torch", t.ms, t.cpuMs)
        }
      }
      const torchMs = times.has("torch") ? median(times.get("torch")!) : null
      const torchCpu = cpuTimes.has("torch") ? median(cpuTimes.get("torch")!) : null
      for (const [name, ms] of times) {
        if (name === "torch") continue
        const m = median(ms)
        if (w.name === "reference" && (best === "wasm" || name.startsWith("native"))) {
          referenceMs.set(threads, m)
          best = name.startsWith("native") ? "native" : "wasm"
        }
        console.log(JSON.stringify({
          summary: name, workload: w.name, threads, rounds, ms_per_step_median: Math.round(m * 1000) / 1000,
          samples_per_s: round1((w.batch * 1000) / m),
          ...(torchMs === null ? {} : { torch_samples_per_s: round1((w.batch * 1000) / torchMs), speedup_vs_torch: Math.round((torchMs / m) * 100) / 100 }),
          // CPU time per step, all threads: the work each side needs, little moved by other load
          cpu_ms_per_step: round1(median(cpuTimes.get(name) ?? [0])),
          ...(torchCpu === null ? {} : { torch_cpu_ms_per_step: round1(torchCpu), cpu_time_ratio_vs_torch: Math.round((torchCpu / median(cpuTimes.get(name) ?? [1])) * 100) / 100 }),
          load_avg: load()
        }))
      }
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
  }
  if (!flag("no-pipeline")) {
    for (const threads of threadList) yield* pipelineThroughput(best === "native" ? "native" : "wasm", threads, referenceMs.get(threads))
  }
})

/**
 * The pipeline's own training throughput on the reference workload: the real loop (shuffling,
 * batch assembly, validation, tracker and progress calls, checkpoints off) over 4096 windows.
 */
const pipelineThroughput = (kind: "native" | "wasm", threads: number, engineMs: number | undefined) =>
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
      // n windows, each its own series of seq + 1 rows, so no two windows share inputs
      const rows = new Float32Array(n * (w.seq + 1) * w.features)
      for (let i = 0; i < rows.length; i++) rows[i] = rng.normal()
      const y = new Float32Array(n)
      for (let i = 0; i < n; i++) y[i] = rng.normal()
      const offsets = Int32Array.from({ length: n + 1 }, (_, i) => i * (w.seq + 1))
      const inputs = { rows, features: w.features, offsets }
      return makeSplit(inputs, w.seq, y, new Int32Array(n).fill(w.seq), Int32Array.from({ length: n }, (_, i) => i))
    }
    const engine = yield* makeEngine({ kind, spec: specOf(w), optimizer: adam, seed: 1, threads })
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
