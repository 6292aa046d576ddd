/** Loading the native engine's Node-API addon (dist/engine/lstm-native.node) and choosing its kernels. */
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { distFiles } from "./paths.js"
import { hasRelaxedSimd } from "./simd.js"

/** An opaque model handle owned by the addon. */
export interface NativeHandle {
  readonly __brand?: "NativeHandle"
}

/** Layer offsets as paramLayout computes them, passed to the addon. */
export interface NativeLayout {
  readonly features: number
  readonly lookback: number
  readonly outputs: number
  readonly dropout: number
  readonly layers: ReadonlyArray<{ units: number; input: number; up: number; inp: number; kernel: number; recurrent: number; bias: number }>
  readonly denseKernel: number
  readonly denseBias: number
  readonly size: number
  readonly topUp: number
}

/** Which of the addon's buffers `copy` reads or writes. */
export const NativeBuffer = { params: 0, grads: 1, slotM: 2, slotV: 3 } as const

/** The functions src/engine/native/addon.cc exports. */
export interface NativeAddon {
  readonly cpu: () => { readonly avx512: boolean; readonly avx2: boolean }
  readonly create: (layout: NativeLayout, threads: number, isa: NativeIsa) => NativeHandle
  readonly close: (h: NativeHandle) => void
  readonly copy: (h: NativeHandle, which: number, data: Float32Array, toNative: boolean) => void
  readonly forwardBackward: (h: NativeHandle, x: Float32Array, y: Float32Array, n: number, step: number, seedLo: number, seedHi: number) => number
  readonly sumSquares: (h: NativeHandle) => number
  readonly update: (h: NativeHandle, sgd: boolean, clipScale: number, lr: number, lrHat: number, c2: number, beta1: number, beta2: number, epsilon: number, decay: number, momentum: number) => void
  readonly predict: (h: NativeHandle, x: Float32Array, n: number, out: Float32Array) => void
  /** Sustained FMA GFLOP/s of one core with the kernels' vector width, timed over at least `seconds`. */
  readonly peakGflops: (isa: NativeIsa, seconds: number) => number
}

/** An instruction set the addon has kernels for. */
export type NativeIsa = "avx512" | "avx2"

/** The addon and the best kernels this CPU runs, or why there are none. */
export type NativeSupport =
  | { readonly ok: true; readonly addon: NativeAddon; readonly isa: NativeIsa; readonly cpu: { readonly avx512: boolean; readonly avx2: boolean } }
  | { readonly ok: false; readonly reason: string }

const isAddon = (m: unknown): m is NativeAddon =>
  typeof m === "object" && m !== null && ["cpu", "create", "close", "copy", "forwardBackward", "sumSquares", "update", "predict", "peakGflops"].every((k) => typeof (m as Record<string, unknown>)[k] === "function")

let cached: NativeSupport | null = null

/** Loads the addon once and reports the kernels it would use here. */
export const nativeSupport = (): NativeSupport => {
  if (cached !== null) return cached
  cached = load()
  return cached
}

const load = (): NativeSupport => {
  const files = distFiles()
  if (files === null) return { ok: false, reason: "cannot find the lstm-pipeline package root above the engine module" }
  if (!existsSync(files.native)) {
    return { ok: false, reason: `${files.native} was not built (\`npm run build\` compiles it when a C++ compiler is present)` }
  }
  let mod: unknown
  try {
    mod = createRequire(import.meta.url)(files.native)
  } catch (e) {
    return { ok: false, reason: `cannot load ${files.native}: ${e instanceof Error ? e.message : String(e)}` }
  }
  if (!isAddon(mod)) return { ok: false, reason: `${files.native} is not the lstm native engine (rebuild with \`npm run build\`)` }
  const cpu = mod.cpu()
  if (cpu.avx512) return { ok: true, addon: mod, isa: "avx512", cpu }
  if (cpu.avx2) return { ok: true, addon: mod, isa: "avx2", cpu }
  return { ok: false, reason: "this CPU has neither AVX-512 (F/BW/VL + FMA) nor AVX2 + FMA" }
}

/** The fused CPU engine `auto` trains with here and why, for `pipeline devices`. */
export const fusedEngineChoice = (): { readonly name: string; readonly why: string } => {
  const s = nativeSupport()
  if (s.ok) return { name: `native-${s.isa}`, why: `C++ ${s.isa === "avx512" ? "AVX-512" : "AVX2"} kernels; --set runtime.engine=wasm forces WebAssembly` }
  return { name: hasRelaxedSimd() ? "wasm-relaxed-simd" : "wasm-simd", why: `native engine unavailable: ${s.reason}` }
}
