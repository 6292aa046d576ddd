import { Effect, Either } from "effect"
import {
  DeviceUnavailable,
  type DeviceName,
  type DeviceRequest,
  type DeviceSelection,
  type DeviceStatus,
  type EngineKind
} from "./domain.js"
import { softwareReason } from "./adapterKind.js"
import { probeDevices } from "./probe.js"

const engineFor = (name: DeviceName): EngineKind => (name === "cpu" || name === "wasm" ? "fused" : name === "webgpu" ? "webgpu" : "tfjs")

/** Hardware WebGPU adapters in a webgpu status (software ones, lavapipe or SwiftShader, never count). */
const hardwareCount = (status: DeviceStatus): number => (status.adapters ?? []).filter((a) => softwareReason(a) === null).length

/** True when this available backend computes on a hardware GPU (not a software adapter, not TensorFlow's CPU build). */
export const runsOnGpu = (status: DeviceStatus): boolean => {
  if (!status.available) return false
  if (status.name === "webgpu") return hardwareCount(status) > 0
  return status.name === "tensorflow" && status.details["gpu build"] === "true" && Number(status.details["nvidia gpus"] ?? "0") > 0
}

/** How many GPUs this backend can address by index; null when it cannot tell. */
const addressableGpus = (status: DeviceStatus): number | null => {
  if (status.name === "webgpu") return hardwareCount(status)
  const count = Number(status.details["nvidia gpus"])
  return Number.isInteger(count) ? count : null
}

/** What to do about an unavailable backend, for the error message. */
export const fixFor = (name: DeviceName, reason: string): string => {
  switch (name) {
    case "cpu":
      return "report a bug: the cpu backend should always be available"
    case "wasm":
      return "reinstall dependencies (`npm ci`) so @tensorflow/tfjs-backend-wasm ships its .wasm files, or use --device cpu"
    case "webgpu":
      return reason.includes("not installed")
        ? "install the optional dependency webgpu (`npm install webgpu`), or use --device cpu"
        : "install a GPU driver with Vulkan (libvulkan1), or Mesa's software driver (apt-get install mesa-vulkan-drivers, Mesa 25+) to train on lavapipe, or use --device cpu"
    case "tensorflow":
      return reason.includes("libtensorflow missing")
        ? "run `npm rebuild @tensorflow/tfjs-node-gpu` on a machine with network access, or use --device cpu"
        : "install @tensorflow/tfjs-node-gpu (Linux + CUDA) or @tensorflow/tfjs-node, or use --device cpu"
  }
}

const unavailable = (device: string, reason: string, fix: string) => Either.left(new DeviceUnavailable({ device, reason, fix }))

const select = (status: DeviceStatus, gpu: number | null): Either.Either<DeviceSelection, DeviceUnavailable> => {
  if (gpu !== null) {
    if (!runsOnGpu(status)) {
      return unavailable(`${status.name} --gpu ${gpu}`, `${status.name} does not run on a GPU here (${status.reason})`, "drop --gpu, or use --device tensorflow or webgpu on a GPU machine")
    }
    const count = addressableGpus(status)
    if (count !== null && gpu >= count) {
      return unavailable(`${status.name} --gpu ${gpu}`, `${status.name} can address ${count} GPU(s): indices 0..${count - 1}`, `use --gpu ${count - 1 > 0 ? `0..${count - 1}` : "0"}`)
    }
  }
  const selection: DeviceSelection = { name: status.name, gpu: runsOnGpu(status) ? gpu ?? 0 : null, engine: engineFor(status.name), status }
  // a software adapter trains only when webgpu was asked for by name and no GPU index was given
  return Either.right(status.name === "webgpu" ? { ...selection, adapterPolicy: gpu === null ? "any" : "hardware" } : selection)
}

/** What was found, for a `--gpu N` that cannot be honoured. */
const foundGpus = (tensorflow: DeviceStatus, webgpu: DeviceStatus): string =>
  `no hardware GPU was found (webgpu: ${webgpu.reason}; tensorflow: ${tensorflow.reason})`

/**
 * Pick a backend from probe results. `--cpu` forces cpu. `auto` picks a hardware GPU when there
 * is one (WebGPU's fused WGSL engine first, then native TensorFlow on a GPU), then native
 * TensorFlow's CPU build, then cpu (where the fused CPU engine trains). A software adapter
 * (lavapipe, SwiftShader) is used only with `--device webgpu`. `--gpu N` is an explicit request:
 * without a hardware GPU N it is a `DeviceUnavailable`, under `auto` too.
 */
export const chooseDevice = (
  statuses: ReadonlyArray<DeviceStatus>,
  request: DeviceRequest
): Either.Either<DeviceSelection, DeviceUnavailable> => {
  const find = (name: DeviceName): DeviceStatus =>
    statuses.find((s) => s.name === name) ?? { name, available: false, reason: "not probed", details: {} }
  if (request.cpu) return select(find("cpu"), null)
  if (request.device !== "auto") {
    const wanted = find(request.device)
    if (!wanted.available) return unavailable(wanted.name, wanted.reason, fixFor(wanted.name, wanted.reason))
    return select(wanted, request.gpu)
  }
  const tensorflow = find("tensorflow")
  const webgpu = find("webgpu")
  const gpuBackends = [webgpu, tensorflow].filter(runsOnGpu)
  if (request.gpu !== null) {
    const first = gpuBackends[0]
    if (first === undefined) {
      return unavailable(`--gpu ${request.gpu}`, foundGpus(tensorflow, webgpu), "drop --gpu to train on the CPU, or pass --device webgpu to train on a software adapter")
    }
    const fitting = gpuBackends.find((s) => Either.isRight(select(s, request.gpu)))
    return select(fitting ?? first, request.gpu)
  }
  const preferred = gpuBackends[0] ?? (tensorflow.available ? tensorflow : find("cpu"))
  return select(preferred, null)
}

/** Probe the backends and choose one for the request. */
export const selectDevice = Effect.fn("Device.selectDevice")(function* (request: DeviceRequest) {
  // --cpu never needs a GPU probe; auto asks Dawn (in a child process) whether a hardware GPU is there
  const only = request.cpu ? ["cpu"] as const : undefined
  const statuses = yield* probeDevices({ gpu: request.cpu ? null : request.gpu, ...(only ? { only } : {}) })
  return yield* chooseDevice(statuses, request)
})
