import { Effect, Either } from "effect"
import {
  DeviceUnavailable,
  type DeviceName,
  type DeviceRequest,
  type DeviceSelection,
  type DeviceStatus,
  type EngineKind
} from "./domain.js"
import { probeDevices } from "./probe.js"

const engineFor = (name: DeviceName): EngineKind => (name === "cpu" || name === "wasm" ? "fused" : "tfjs")

/** True when this available backend computes on a GPU (not native TensorFlow's CPU fallback). */
export const runsOnGpu = (status: DeviceStatus): boolean => {
  if (!status.available) return false
  if (status.name === "webgpu") return true
  return status.name === "tensorflow" && status.details["gpu build"] === "true" && Number(status.details["nvidia gpus"] ?? "0") > 0
}

/** How many GPUs this backend can address by index; null when it cannot tell. */
const addressableGpus = (status: DeviceStatus): number | null => {
  // WebGPU offers one adapter per power preference, not a list to index into.
  if (status.name === "webgpu") return 1
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
      return reason.includes("no WebGPU adapter")
        ? "run on a machine with a GPU and a Vulkan driver (libvulkan.so.1), or use --device cpu"
        : "install the optional dependencies @tensorflow/tfjs-backend-webgpu and webgpu, or use --device cpu"
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
  return Either.right({ name: status.name, gpu: runsOnGpu(status) ? gpu ?? 0 : null, engine: engineFor(status.name), status })
}

/**
 * Pick a backend from probe results. `--cpu` forces cpu; `auto` prefers native TensorFlow on a GPU,
 * then native TensorFlow's CPU build, then cpu (where the fused engine trains). WebGPU is used
 * when asked for (`--device webgpu`, or `--gpu N` with no native TensorFlow): tfjs-layers on WebGPU
 * is op-dispatch bound (~1.1 s per step measured on an H200), far slower than the fused CPU engine.
 * An explicit device (or `--gpu N`) that cannot be honoured is a `DeviceUnavailable`.
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
  const gpuBackends = [tensorflow, webgpu].filter(runsOnGpu)
  if (request.gpu !== null) {
    const first = gpuBackends[0]
    if (first === undefined) {
      // `--device auto` turns a missing GPU into a fallback; an explicit device failed above
      return Either.map(select(find("cpu"), null), (cpuSelection) => ({
        ...cpuSelection,
        warning: `--gpu ${request.gpu}: no GPU backend is available (tensorflow: ${tensorflow.reason}; webgpu: ${webgpu.reason}); training on the CPU. Pass --device tensorflow or --device webgpu to make a missing GPU an error.`
      }))
    }
    const fitting = gpuBackends.find((s) => Either.isRight(select(s, request.gpu)))
    return select(fitting ?? first, request.gpu)
  }
  const preferred = runsOnGpu(tensorflow) || tensorflow.available ? tensorflow : find("cpu")
  return select(preferred, null)
}

/** Probe the backends and choose one for the request. */
export const selectDevice = Effect.fn("Device.selectDevice")(function* (request: DeviceRequest) {
  // plain auto never picks WebGPU, so it does not pay for starting Dawn
  const only = request.cpu || (request.device === "auto" && request.gpu === null) ? ["cpu", "tensorflow"] as const : undefined
  const statuses = yield* probeDevices({ gpu: request.cpu ? null : request.gpu, ...(only ? { only } : {}) })
  return yield* chooseDevice(statuses, request)
})
