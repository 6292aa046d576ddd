import { cpus } from "node:os"
import { readFile } from "node:fs/promises"
import { Cause, Duration, Effect } from "effect"
import { DeviceNames, type DeviceName, type DeviceStatus } from "./domain.js"
import { adapterLabel } from "./adapterKind.js"
import { adapterDetails, hardwareAdapters, listAdapters } from "./adapters.js"
import {
  errorLine,
  loadTensorflow,
  nvidiaGpuCount,
  packageVersion,
  wasmBinaryName,
  wasmDirectory,
  wasmFeatures,
  wasmRuntime
} from "./loaders.js"

/** How long one backend's probe may take before it counts as unavailable. */
export const probeTimeout = Duration.seconds(10)

type Details = Record<string, string>

const status = (name: DeviceName, available: boolean, reason: string, details: Details): DeviceStatus => ({
  name,
  available,
  reason,
  details
})

const versions = (...pkgs: ReadonlyArray<string>): Details =>
  Object.fromEntries(pkgs.map((pkg) => [pkg, packageVersion(pkg) ?? "unresolved (bundled or not installed)"]))

const cpuDetails = (): Details => {
  const all = cpus()
  return { model: all[0]?.model.trim() ?? "unknown", cores: String(all.length), node: process.version, ...versions("@tensorflow/tfjs") }
}

const probeCpu = Effect.sync(() => status("cpu", true, "tfjs cpu backend (pure JavaScript) always works", cpuDetails()))

const probeWasm = Effect.tryPromise(async () => {
  const { simd, threads } = wasmFeatures()
  const details: Details = {
    simd: String(simd),
    threads: String(threads),
    "threads used": "false (tfjs-backend-wasm disables threads under Node)",
    ...versions("@tensorflow/tfjs-backend-wasm")
  }
  const binary = wasmDirectory() + wasmBinaryName(simd)
  // Compiling the exact binary tfjs will load proves the runtime can run it.
  await wasmRuntime().compile(await readFile(binary))
  return status("wasm", true, `compiles ${wasmBinaryName(simd)}`, { ...details, binary })
}).pipe(
  Effect.catchAll((error) =>
    Effect.succeed(status("wasm", false, `tfjs-backend-wasm unusable: ${errorLine(error.error)}`, versions("@tensorflow/tfjs-backend-wasm")))
  )
)

const probeWebgpu = listAdapters.pipe(
  Effect.map((listing): DeviceStatus => {
    const details: Details = { ...versions("webgpu"), ...adapterDetails(listing) }
    if (listing.adapters.length === 0) {
      const why = listing.failure ?? "dawn.node found no Vulkan/Metal/D3D12 adapter"
      const reason = `no WebGPU adapter: ${why}${listing.note !== null ? `; ${listing.note}` : ""}`
      return { ...status("webgpu", false, reason, details), adapters: [] }
    }
    const hardware = hardwareAdapters(listing)
    const reason = hardware.length > 0
      ? `${hardware.length} hardware GPU(s): ${hardware.map(adapterLabel).join("; ")} (fused WGSL engine)`
      : `software adapter only: ${listing.adapters.map(adapterLabel).join("; ")}; used only with --device webgpu, never by auto or --gpu`
    return { ...status("webgpu", true, reason, details), adapters: listing.adapters }
  })
)

const probeTensorflow = (gpu: number | null) =>
  Effect.promise(() => loadTensorflow(gpu)).pipe(
    Effect.map((load) => {
      if (load._tag === "Failed") {
        const reason = load.attempts.map((attempt) => `${attempt.pkg}: ${attempt.reason}`).join("; ")
        return status("tensorflow", false, reason, { "@tensorflow/tfjs-node-gpu": "not loaded", "@tensorflow/tfjs-node": "not loaded" })
      }
      const gpus = nvidiaGpuCount()
      const details: Details = {
        package: load.pkg,
        version: load.version,
        "gpu build": String(load.gpuBuild),
        "nvidia gpus": gpus === null ? "unknown" : String(gpus),
        CUDA_VISIBLE_DEVICES: load.cudaVisibleDevices ?? "(unset)"
      }
      const where = load.gpuBuild ? (gpus !== null && gpus > 0 ? `on ${gpus} NVIDIA GPU(s)` : "GPU build, but no NVIDIA GPU found: runs on CPU") : "CPU build"
      return status("tensorflow", true, `${load.pkg} loaded (${where})`, details)
    })
  )

const guarded = (name: DeviceName, probe: Effect.Effect<DeviceStatus>): Effect.Effect<DeviceStatus> =>
  probe.pipe(
    Effect.timeoutTo({
      duration: probeTimeout,
      onSuccess: (found) => found,
      onTimeout: () => status(name, false, `probe timed out after ${Duration.format(probeTimeout)}`, {})
    }),
    Effect.catchAllCause((cause) => Effect.succeed(status(name, false, `probe crashed: ${errorLine(Cause.squash(cause))}`, {}))),
    Effect.withSpan(`Device.probe.${name}`)
  )

/** Options for probing; `gpu` pins the GPU that native TensorFlow will see if it loads now. */
export interface ProbeOptions {
  readonly gpu?: number | null
  /** Probe only these backends; the others are reported as not probed. */
  readonly only?: ReadonlyArray<DeviceName>
}

/**
 * Find out which backends work here, one status per backend in the order cpu, wasm, webgpu,
 * tensorflow. Each probe is time-boxed and never fails: problems become `available: false`.
 */
export const probeDevices = (options: ProbeOptions = {}): Effect.Effect<ReadonlyArray<DeviceStatus>> => {
  const probes: Record<DeviceName, Effect.Effect<DeviceStatus>> = {
    cpu: probeCpu,
    wasm: probeWasm,
    webgpu: probeWebgpu,
    tensorflow: probeTensorflow(options.gpu ?? null)
  }
  const wanted = (name: DeviceName) => options.only === undefined || options.only.includes(name)
  return Effect.all(
    DeviceNames.map((name) =>
      wanted(name) ? guarded(name, probes[name]) : Effect.succeed(status(name, false, "not probed", {}))
    ),
    { concurrency: "unbounded" }
  ).pipe(Effect.withSpan("Device.probeDevices"))
}
