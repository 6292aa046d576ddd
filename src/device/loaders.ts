import { existsSync, readdirSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { pathToFileURL } from "node:url"
import type { Tfjs } from "./domain.js"

/** Narrow an unknown module or error to a plain record. */
export const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

/** The first line of an error's message, for one-line reasons. */
export const errorLine = (error: unknown): string => {
  const message = error instanceof Error ? error.message : isRecord(error) && typeof error.message === "string" ? error.message : String(error)
  return message.split("\n")[0]?.trim() ?? message
}

/**
 * A `require` anchored at this module, or at the entry script when this file is bundled to CJS
 * (esbuild empties `import.meta` there).
 */
export const moduleRequire = (): NodeRequire => {
  const here: string | undefined = import.meta.url
  if (typeof here === "string") return createRequire(here)
  const entry = process.argv[1]
  return createRequire(entry !== undefined ? pathToFileURL(entry) : pathToFileURL(join(process.cwd(), "index.js")))
}

/** The installed version of a package, or null when it cannot be resolved from here. */
export const packageVersion = (name: string): string | null => {
  try {
    const pkg: unknown = moduleRequire()(`${name}/package.json`)
    return isRecord(pkg) && typeof pkg.version === "string" ? pkg.version : null
  } catch {
    return null
  }
}

/** Import tfjs on demand: never at module top level, so `pipeline --help` stays fast. */
export const loadTfjs = (): Promise<Tfjs> =>
  import("@tensorflow/tfjs").then((tf) => {
    // PROD silences tfjs' console banner ("install our node backend"); `pipeline devices` says that better
    tf.env().set("PROD", true)
    return tf
  })

/** Which wasm binary tfjs-backend-wasm picks in Node: threads are disabled there by tfjs itself. */
export const wasmBinaryName = (simd: boolean): string => (simd ? "tfjs-backend-wasm-simd.wasm" : "tfjs-backend-wasm.wasm")

/** The folder (with trailing separator) that holds tfjs-backend-wasm's .wasm binaries. */
export const wasmDirectory = (): string => {
  const pkgJson = moduleRequire().resolve("@tensorflow/tfjs-backend-wasm/package.json")
  const dir = join(dirname(pkgJson), "dist")
  const missing = [wasmBinaryName(true), wasmBinaryName(false)].filter((file) => !existsSync(join(dir, file)))
  if (missing.length > 0) throw new Error(`tfjs-backend-wasm is installed but ${missing.join(", ")} is missing in ${dir}`)
  return dir + "/"
}

/** Small wasm programs that validate only where SIMD / threads are supported (wasm-feature-detect). */
const simdProbe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11])
const threadsProbe = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11
])

/** The two WebAssembly functions used here (the DOM lib, which types them, is not in this project). */
interface WasmRuntime {
  readonly validate: (bytes: Uint8Array) => boolean
  readonly compile: (bytes: Uint8Array) => Promise<unknown>
}

/** This runtime's WebAssembly, or an error when there is none. */
export const wasmRuntime = (): WasmRuntime => {
  const wasm: unknown = Reflect.get(globalThis, "WebAssembly")
  if (!isRecord(wasm) || typeof wasm.validate !== "function" || typeof wasm.compile !== "function") {
    throw new Error("this runtime has no WebAssembly")
  }
  const { validate, compile } = wasm
  return {
    validate: (bytes) => Reflect.apply(validate, wasm, [bytes]) === true,
    compile: (bytes) => Promise.resolve(Reflect.apply(compile, wasm, [bytes]))
  }
}

/** Whether this runtime's WebAssembly validates SIMD and shared-memory (threads) programs. */
export const wasmFeatures = (): { readonly simd: boolean; readonly threads: boolean } => {
  const wasm = wasmRuntime()
  return { simd: wasm.validate(simdProbe), threads: typeof SharedArrayBuffer !== "undefined" && wasm.validate(threadsProbe) }
}

/** A WebGPU device: the raw object for tfjs, and its `destroy()`. */
export interface GpuDeviceLike {
  readonly raw: object
  readonly destroy: () => void
}

/** The parts of a WebGPU adapter this module reads, plus the raw object. */
export interface GpuAdapterLike {
  readonly info: { readonly vendor: string; readonly architecture: string; readonly device: string; readonly description: string }
  readonly rawInfo: unknown
  readonly limits: Readonly<Record<string, number>>
  readonly requestDevice: (descriptor: object) => Promise<GpuDeviceLike>
}

/** `navigator.gpu` as dawn.node creates it. */
export interface GpuLike {
  readonly raw: object
  readonly requestAdapter: (options: { readonly powerPreference: "low-power" | "high-performance" }) => Promise<GpuAdapterLike | null>
}

/** The two exports of the `webgpu` package (dawn.node). */
export interface Dawn {
  readonly create: (flags: Array<string>) => GpuLike
  readonly globals: object
  /** Where it was loaded from, for the details. */
  readonly source: string
}

const method = (target: Record<string, unknown>, name: string, what: string): ((...args: Array<unknown>) => unknown) => {
  const fn = target[name]
  if (typeof fn !== "function") throw new Error(`${what} has no ${name}()`)
  return (...args) => Reflect.apply(fn, target, args)
}

// Adapter limits are getters on a native object, so they are read one by one, not spread.
const limitNames = [
  "maxComputeWorkgroupStorageSize",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupSizeX",
  "maxComputeInvocationsPerWorkgroup"
] as const

const asAdapter = (adapter: unknown): GpuAdapterLike => {
  if (!isRecord(adapter)) throw new Error("WebGPU adapter is not an object")
  const requestDevice = method(adapter, "requestDevice", "WebGPU adapter")
  const rawInfo = adapter.info
  const info = isRecord(rawInfo) ? rawInfo : {}
  const text = (key: string): string => (typeof info[key] === "string" ? String(info[key]) : "")
  const rawLimits = isRecord(adapter.limits) ? adapter.limits : {}
  const limits: Record<string, number> = {}
  for (const name of limitNames) {
    const value = rawLimits[name]
    if (typeof value === "number") limits[name] = value
  }
  return {
    info: { vendor: text("vendor"), architecture: text("architecture"), device: text("device"), description: text("description") },
    rawInfo,
    limits,
    requestDevice: async (descriptor) => {
      const device: unknown = await requestDevice(descriptor)
      if (!isRecord(device)) throw new Error("WebGPU requestDevice() returned no device")
      return { raw: device, destroy: method(device, "destroy", "WebGPU device") }
    }
  }
}

const asDawn = (mod: unknown, source: string): Dawn => {
  const inner = isRecord(mod) && typeof mod.create !== "function" && isRecord(mod.default) ? mod.default : mod
  if (!isRecord(inner) || !isRecord(inner.globals)) throw new Error(`${source} does not export create() and globals`)
  const create = method(inner, "create", source)
  return {
    create: (flags) => {
      const gpu: unknown = create(flags)
      if (!isRecord(gpu)) throw new Error("dawn.node create() returned no GPU object")
      const requestAdapter = method(gpu, "requestAdapter", "navigator.gpu")
      return {
        raw: gpu,
        requestAdapter: async (options) => {
          const adapter: unknown = await requestAdapter(options)
          return adapter === null || adapter === undefined ? null : asAdapter(adapter)
        }
      }
    },
    globals: inner.globals,
    source
  }
}

/** dawn.node file name for this platform, as the `webgpu` package lays it out. */
const dawnFileName = (): string => `${process.platform}-${process.platform === "darwin" ? "universal" : process.arch}.dawn.node`

let dawnLoad: Promise<Dawn> | null = null

/**
 * Load dawn.node once: through the `webgpu` package when it resolves, else from a copy of its
 * files next to the entry script (`./dist`, `./webgpu/dist`, `./node_modules/webgpu/dist`), which
 * is how the bundled gpu-check script ships.
 */
export const loadDawn = (): Promise<Dawn> => {
  dawnLoad ??= importDawn()
  // A failed load may be retried (e.g. after files were copied in); a good one is kept.
  dawnLoad.catch(() => {
    dawnLoad = null
  })
  return dawnLoad
}

let sharedGpu: GpuLike | null = null

/** The process's one dawn.node GPU instance (`navigator.gpu`), created on first use. */
export const dawnGpu = async (): Promise<{ readonly gpu: GpuLike; readonly dawn: Dawn }> => {
  const dawn = await loadDawn()
  sharedGpu ??= dawn.create([])
  return { gpu: sharedGpu, dawn }
}

const importDawn = async (): Promise<Dawn> => {
  const failures: Array<string> = []
  try {
    return asDawn(await import("webgpu"), "webgpu package")
  } catch (error) {
    failures.push(`import("webgpu"): ${errorLine(error)}`)
  }
  const entry = process.argv[1]
  const roots = [entry !== undefined ? dirname(entry) : null, process.cwd()].filter((dir): dir is string => dir !== null)
  const candidates = roots.flatMap((root) =>
    ["dist", join("webgpu", "dist"), join("node_modules", "webgpu", "dist")].map((sub) => join(root, sub, dawnFileName()))
  )
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue
    try {
      return asDawn(moduleRequire()(candidate), candidate)
    } catch (error) {
      failures.push(`${candidate}: ${errorLine(error)}`)
    }
  }
  throw new Error(failures.length > 0 ? failures.join("; ") : "webgpu (dawn.node) not installed")
}

/** Number of NVIDIA GPUs the driver exposes (Linux), or null when it cannot tell. */
export const nvidiaGpuCount = (): number | null => {
  try {
    return readdirSync("/proc/driver/nvidia/gpus").length
  } catch {
    return null
  }
}

/** The native TensorFlow packages, GPU build first. */
export const tensorflowPackages = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const

/** Outcome of loading one native TensorFlow package. */
export type TensorflowLoad =
  | { readonly _tag: "Loaded"; readonly pkg: string; readonly version: string; readonly gpuBuild: boolean; readonly cudaVisibleDevices: string | null }
  | { readonly _tag: "Failed"; readonly attempts: ReadonlyArray<{ readonly pkg: string; readonly reason: string }> }

const isResolvable = (pkg: string): boolean => {
  try {
    moduleRequire().resolve(`${pkg}/package.json`)
    return true
  } catch {
    return false
  }
}

const isModuleNotFound = (error: unknown): boolean =>
  isRecord(error) && (error.code === "ERR_MODULE_NOT_FOUND" || error.code === "MODULE_NOT_FOUND")

/** Explain why importing an installed-or-not native TensorFlow package failed. */
export const tensorflowFailureReason = (pkg: string, installed: boolean, error: unknown): string => {
  const line = errorLine(error)
  // Not resolvable from here and not importable: whatever the loader's wording, it is absent.
  if (!installed || (isModuleNotFound(error) && line.includes(`'${pkg}'`))) return "not installed"
  if (/tfjs_binding|libtensorflow|napi-v\d|\.node\b/.test(line)) {
    return `installed but libtensorflow missing: its install script could not download it here; run \`npm rebuild ${pkg}\` on a machine with network access`
  }
  return `installed but failed to load: ${line}`
}

let tensorflowLoad: Promise<TensorflowLoad> | null = null

/**
 * Import @tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node, once per process. TensorFlow reads
 * CUDA_VISIBLE_DEVICES when it loads, so a GPU index given to the first call pins the GPU for the
 * rest of the process (unless the user already set that variable).
 */
export const loadTensorflow = (gpu: number | null): Promise<TensorflowLoad> => {
  if (tensorflowLoad !== null) return tensorflowLoad
  tensorflowLoad = (async (): Promise<TensorflowLoad> => {
    const attempts: Array<{ pkg: string; reason: string }> = []
    for (const pkg of tensorflowPackages) {
      const installed = isResolvable(pkg)
      const gpuBuild = pkg === "@tensorflow/tfjs-node-gpu"
      if (gpuBuild && installed && gpu !== null && process.env.CUDA_VISIBLE_DEVICES === undefined) {
        process.env.CUDA_VISIBLE_DEVICES = String(gpu)
      }
      try {
        // A variable specifier: bundlers must not try to resolve these optional packages.
        const specifier: string = pkg
        await import(specifier)
        return {
          _tag: "Loaded",
          pkg,
          version: packageVersion(pkg) ?? "unknown",
          gpuBuild,
          cudaVisibleDevices: process.env.CUDA_VISIBLE_DEVICES ?? null
        }
      } catch (error) {
        attempts.push({ pkg, reason: tensorflowFailureReason(pkg, installed, error) })
      }
    }
    return { _tag: "Failed", attempts }
  })()
  return tensorflowLoad
}
