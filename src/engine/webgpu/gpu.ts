/// <reference types="@webgpu/types" />
import { type AdapterIdentity, softwareReason } from "../../device/adapterKind.js"
import { GpuFailure } from "./errors.js"

/** Which adapters may train: a hardware GPU only, or a software one too (asked for with --device webgpu). */
export type AdapterPolicy = "hardware" | "any"

/** An open WebGPU device and what it runs on. */
export interface OpenedGpu {
  readonly device: GPUDevice
  readonly adapter: AdapterIdentity
  /** Null on a hardware GPU, else why it is software. */
  readonly software: string | null
}

let gpuInstance: Promise<GPU> | null = null

/** The process's one dawn.node `navigator.gpu`, loaded from the optional `webgpu` package on first use. */
export const dawnNavigatorGpu = (): Promise<GPU> => {
  gpuInstance ??= import("webgpu").then((m) => m.create([]))
  gpuInstance.catch(() => {
    gpuInstance = null
  })
  return gpuInstance
}

/** Reads the identity of an adapter. */
export const identify = (adapter: GPUAdapter): AdapterIdentity => {
  const info = adapter.info
  const legacy: unknown = Reflect.get(adapter, "isFallbackAdapter")
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter === true || legacy === true
  }
}

/**
 * Opens a device on the high-performance adapter with the limits the kernels need:
 * `maxComputeWorkgroupStorageSize` is requested explicitly (a default device gets 16 KiB), and
 * storage buffers up to the adapter's maximum, so large batches fit.
 */
export const openGpu = async (policy: AdapterPolicy, workgroupBytes: number): Promise<OpenedGpu> => {
  const gpu = await dawnNavigatorGpu().catch((e: unknown) => {
    throw new GpuFailure({ kind: "no-adapter", detail: `the optional webgpu package (dawn.node) did not load: ${e instanceof Error ? e.message : String(e)}` })
  })
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" })
  if (adapter === null) {
    throw new GpuFailure({ kind: "no-adapter", detail: "dawn.node found no Vulkan/Metal/D3D12 adapter (install a GPU driver with Vulkan, or Mesa's lavapipe for a software one)" })
  }
  const identity = identify(adapter)
  const software = softwareReason(identity)
  if (policy === "hardware" && software !== null) {
    throw new GpuFailure({ kind: "software-adapter", detail: `${identity.description || identity.device} is software (${software}); pass --device webgpu to train on it anyway` })
  }
  const limits = adapter.limits
  if (workgroupBytes > limits.maxComputeWorkgroupStorageSize) {
    throw new GpuFailure({
      kind: "limits",
      detail: `the kernels need ${workgroupBytes} bytes of workgroup memory, the adapter offers ${limits.maxComputeWorkgroupStorageSize} (use a smaller model.hidden_size)`
    })
  }
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxComputeWorkgroupStorageSize: Math.max(16384, workgroupBytes),
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeInvocationsPerWorkgroup: Math.min(256, limits.maxComputeInvocationsPerWorkgroup),
      maxComputeWorkgroupSizeX: Math.min(256, limits.maxComputeWorkgroupSizeX)
    }
  })
  return { device, adapter: identity, software }
}
