import { Effect, Schema, type Scope } from "effect"
import { existsSync } from "node:fs"
import { validateSpec } from "./params.js"
import { distFiles } from "./paths.js"
import type { RawEngine } from "./raw.js"
import { nativeSupport, type NativeIsa } from "./nativeAddon.js"
import { hasRelaxedSimd, hasSimd } from "./simd.js"
import type { Batch, EngineState, OptimizerSpec, StepResult } from "./types.js"
import type { ModelSpec, NamedTensor } from "../model/spec.js"

/** Any failure to create or run a training engine, with a message for the user. */
export class EngineError extends Schema.TaggedError<EngineError>()("EngineError", { reason: Schema.String }) {
  override get message(): string {
    return `the training engine failed: ${this.reason}`
  }
}

/** The engine the config asks for cannot run here (not built, or not available on this machine). */
export class EngineUnavailable extends Schema.TaggedError<EngineUnavailable>()("EngineUnavailable", {
  engine: Schema.String,
  reason: Schema.String,
  fix: Schema.String
}) {
  override get message(): string {
    return `runtime.engine ${this.engine} is not available: ${this.reason}.`
  }
}

/** A training engine: one model, its optimizer state, and the compute to train it. */
export interface TrainEngine {
  /** "native-avx512" | "native-avx2" | "wasm-relaxed-simd" | "wasm-simd" | "reference" | "webgpu" | "tfjs-<backend>". */
  readonly name: string
  readonly threads: number
  /** Forward + BPTT + global-norm clip + optimizer update; uninterruptible. */
  readonly step: (batch: Batch, lr: number) => Effect.Effect<StepResult, EngineError>
  /** Predictions [n, outputs] without dropout, for any n. */
  readonly predict: (x: Float32Array, n: number) => Effect.Effect<Float32Array, EngineError>
  /** Loss and gradients (Keras layout) of a batch without updating anything. */
  readonly gradients: (batch: Batch) => Effect.Effect<{ loss: number; grads: ReadonlyArray<NamedTensor> }, EngineError>
  readonly getState: Effect.Effect<EngineState>
  readonly setState: (state: EngineState) => Effect.Effect<void, EngineError>
  /** Bytes of GPU buffers the engine holds (its own allocations); null for engines on host memory. */
  readonly deviceMemoryBytes: Effect.Effect<number | null>
}

/** How to build an engine. */
export interface EngineOptions {
  kind: "native" | "wasm" | "webgpu" | "reference" | "tfjs"
  spec: ModelSpec
  optimizer: OptimizerSpec
  seed: number
  /** Threads of the native and wasm engines (1 = in-process); others ignore it. */
  threads: number
  /** Which wasm build: relaxed SIMD (FMA) when supported ("auto"), or forced. */
  simd?: "auto" | "relaxed" | "plain"
  /** Which native kernels: the best this CPU runs ("auto"), or forced. */
  isa?: "auto" | NativeIsa
  /** webgpu: train on a hardware GPU only, or on a software adapter too (the default when asked for by name). */
  adapter?: "hardware" | "any"
}

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

const missingBuild = (path: string): string =>
  `${path} is missing: run \`npm run build\` (or \`node src/scripts/build-wasm.mjs\` and the esbuild step for the worker) first`

/** Picks the wasm build for a simd preference, or says why none fits. */
const chooseWasm = (simd: "auto" | "relaxed" | "plain"): { name: string; path: string } | string => {
  const files = distFiles()
  if (files === null) return "cannot find the lstm-pipeline package root above the engine module"
  if (!hasSimd()) return "this runtime has no WebAssembly SIMD support"
  const relaxed = hasRelaxedSimd()
  if (simd === "relaxed" && !relaxed) return "relaxed SIMD is not available here (Node 20 needs --experimental-wasm-relaxed-simd)"
  const useRelaxed = simd === "relaxed" || (simd === "auto" && relaxed)
  const path = useRelaxed ? files.relaxedWasm : files.simdWasm
  if (!existsSync(path)) return missingBuild(path)
  return { name: useRelaxed ? "wasm-relaxed-simd" : "wasm-simd", path }
}

/** The engines this build can make. */
type BuiltKind = "native" | "wasm" | "reference" | "tfjs" | "webgpu"

const createRaw = async (kind: BuiltKind, o: EngineOptions): Promise<RawEngine> => {
  switch (kind) {
    case "reference": {
      const { makeReferenceEngine, f32 } = await import("./reference.js")
      return makeReferenceEngine(o.spec, o.optimizer, o.seed, f32)
    }
    case "tfjs": {
      const { loadTf } = await import("../model/keras.js")
      const { makeTfjsEngine } = await import("./tfjs.js")
      return makeTfjsEngine(await loadTf(), o.spec, o.optimizer, o.seed)
    }
    case "native": {
      const support = nativeSupport()
      if (!support.ok) throw new Error(`native engine unavailable: ${support.reason}`)
      const isa = o.isa === undefined || o.isa === "auto" ? support.isa : o.isa
      if (isa === "avx512" && !support.cpu.avx512) throw new Error("native engine: this CPU lacks AVX-512 F/BW/VL with FMA")
      const { makeNativeEngine } = await import("./native.js")
      return makeNativeEngine({ addon: support.addon, isa, spec: o.spec, optimizer: o.optimizer, seed: o.seed, threads: o.threads })
    }
    case "webgpu": {
      const { openWebgpuEngine } = await import("./webgpu/open.js")
      return openWebgpuEngine({ spec: o.spec, optimizer: o.optimizer, seed: o.seed }, o.adapter ?? "any")
    }
    case "wasm": {
      const choice = chooseWasm(o.simd ?? "auto")
      if (typeof choice === "string") throw new Error(choice)
      const files = distFiles()
      const worker = files?.worker ?? ""
      if (o.threads > 1 && !existsSync(worker)) throw new Error(missingBuild(worker))
      const { makeWasmEngine } = await import("./wasm.js")
      return makeWasmEngine({ spec: o.spec, optimizer: o.optimizer, seed: o.seed, threads: o.threads, wasmPath: choice.path, workerPath: worker, name: choice.name })
    }
  }
}

const fromPromise = <A>(f: () => Promise<A>): Effect.Effect<A, EngineError> =>
  Effect.tryPromise({ try: f, catch: (e) => new EngineError({ reason: reasonOf(e) }) })

/** Builds an engine; its worker threads, wasm memory and tensors are released with the Scope. */
export const makeEngine: (o: EngineOptions) => Effect.Effect<TrainEngine, EngineError | EngineUnavailable, Scope.Scope> = Effect.fn("Engine.make")(
  function* (o: EngineOptions) {
    const kind = o.kind
    if (kind === "native") {
      const support = nativeSupport()
      if (!support.ok) {
        return yield* new EngineUnavailable({
          engine: kind,
          reason: support.reason,
          fix: "run `npm run build` where a C++ compiler (g++) is installed, or use --set runtime.engine=wasm (or auto)"
        })
      }
    }
    const bad = validateSpec(o.spec)
    if (bad !== null) return yield* new EngineError({ reason: `invalid model spec: ${bad}` })
    if (!Number.isInteger(o.threads) || o.threads < 1) return yield* new EngineError({ reason: `threads must be a positive integer, got ${o.threads}` })
    const raw = yield* Effect.acquireRelease(
      fromPromise(() => createRaw(kind, o)),
      (r) => Effect.promise(() => r.close().catch(() => undefined))
    )
    // one operation at a time: the engine's buffers are shared by all of them
    const lock = yield* Effect.makeSemaphore(1)
    const step = Effect.fn("Engine.step")(
      function* (batch: Batch, lr: number) {
        return yield* fromPromise(() => raw.step(batch, lr))
      },
      lock.withPermits(1),
      Effect.uninterruptible
    )
    const predict = Effect.fn("Engine.predict")(
      function* (x: Float32Array, n: number) {
        return yield* fromPromise(() => raw.predict(x, n))
      },
      lock.withPermits(1)
    )
    const gradients = Effect.fn("Engine.gradients")(
      function* (batch: Batch) {
        return yield* fromPromise(() => raw.gradients(batch))
      },
      lock.withPermits(1),
      Effect.uninterruptible
    )
    const setState = Effect.fn("Engine.setState")(
      function* (state: EngineState) {
        yield* Effect.try({ try: () => raw.setState(state), catch: (e) => new EngineError({ reason: reasonOf(e) }) })
      },
      lock.withPermits(1)
    )
    const engine: TrainEngine = {
      name: raw.name,
      threads: raw.threads,
      step,
      predict,
      gradients,
      getState: lock.withPermits(1)(Effect.promise(async () => raw.getState())).pipe(Effect.withSpan("Engine.getState")),
      setState,
      deviceMemoryBytes: Effect.sync(() => raw.deviceMemoryBytes?.() ?? null)
    }
    return engine
  }
)

/** Whether one engine (or wasm variant) can run here, and why not. */
export interface EngineAvailability {
  readonly name: string
  readonly kind: EngineOptions["kind"]
  readonly available: boolean
  readonly detail: string
}

/** Which engines and SIMD variants are usable in this process, for `pipeline devices`. */
export const describeEngines: Effect.Effect<ReadonlyArray<EngineAvailability>> = Effect.gen(function* () {
  const files = distFiles()
  const simd = hasSimd()
  const relaxed = hasRelaxedSimd()
  const fileState = (path: string | undefined): string | null =>
    path === undefined ? "package root not found" : existsSync(path) ? null : missingBuild(path)
  const relaxedMissing = fileState(files?.relaxedWasm)
  const simdMissing = fileState(files?.simdWasm)
  const workerMissing = fileState(files?.worker)
  const threadsNote = workerMissing === null ? "worker threads available" : `single-threaded only: ${workerMissing}`
  const native = nativeSupport()
  const out: Array<EngineAvailability> = [
    native.ok
      ? { name: `native-${native.isa}`, kind: "native", available: true, detail: `C++ ${native.isa === "avx512" ? "AVX-512" : "AVX2"} kernels, native threads` }
      : { name: "native", kind: "native", available: false, detail: native.reason },
    {
      name: "wasm-relaxed-simd",
      kind: "wasm",
      available: relaxed && relaxedMissing === null,
      detail: !relaxed
        ? "runtime lacks relaxed SIMD (Node 20: run with --experimental-wasm-relaxed-simd, as ./pipeline does)"
        : relaxedMissing ?? `FMA kernels; ${threadsNote}`
    },
    {
      name: "wasm-simd",
      kind: "wasm",
      available: simd && simdMissing === null,
      detail: !simd ? "runtime lacks WebAssembly SIMD" : simdMissing ?? `SIMD128 kernels; ${threadsNote}`
    },
    { name: "reference", kind: "reference", available: true, detail: "plain TypeScript oracle (slow)" }
  ]
  const tfjs = yield* Effect.promise(() =>
    import("../model/keras.js").then((m) => m.loadTf()).then(
      (tf) => ({ name: `tfjs-${tf.getBackend()}`, kind: "tfjs" as const, available: true, detail: "tf.layers model (slow per-op LSTM)" }),
      (e: unknown) => ({ name: "tfjs", kind: "tfjs" as const, available: false, detail: reasonOf(e) })
    )
  )
  out.push(tfjs)
  return out
}).pipe(Effect.withSpan("Engine.describeEngines"))
