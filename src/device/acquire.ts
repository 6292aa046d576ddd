import { Effect, type Scope } from "effect"
import { DeviceUnavailable, type DeviceHandle, type DeviceSelection, type Tfjs } from "./domain.js"
import { errorLine, isRecord, dawnGpu, loadTensorflow, loadTfjs, wasmDirectory, type GpuDeviceLike } from "./loaders.js"
import { fixFor } from "./select.js"

/** What an open handle must undo when its Scope closes. */
interface Opened {
  readonly handle: DeviceHandle
  readonly webgpuDevice: GpuDeviceLike | null
}

const unavailable = (selection: DeviceSelection, reason: string) =>
  new DeviceUnavailable({ device: selection.name, reason, fix: fixFor(selection.name, reason) })

/** Point tfjs-backend-wasm at the .wasm files in node_modules, so nothing is fetched. */
const prepareWasm = async (tf: Tfjs): Promise<Record<string, string>> => {
  const wasm = await import("@tensorflow/tfjs-backend-wasm")
  const directory = wasmDirectory()
  // Paths can only be set before the backend first initializes; later handles reuse it.
  if (tf.findBackend("wasm") === null) wasm.setWasmPaths(directory)
  return { "wasm directory": directory, version: wasm.version_wasm }
}

/** Install dawn.node as `navigator.gpu`, create a device and register tfjs's WebGPU backend on it. */
const prepareWebgpu = async (tf: Tfjs): Promise<{ readonly device: GpuDeviceLike; readonly details: Record<string, string> }> => {
  const { gpu, dawn } = await dawnGpu()
  Object.assign(globalThis, dawn.globals)
  const navigator: unknown = Reflect.get(globalThis, "navigator")
  if (isRecord(navigator)) Reflect.set(navigator, "gpu", gpu.raw)
  else Object.defineProperty(globalThis, "navigator", { value: { gpu: gpu.raw }, configurable: true, writable: true })
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" })
  if (adapter === null) throw new Error("no WebGPU adapter")
  // The same limits tfjs requests itself: its kernels size workgroups and buffers by them.
  const device = await adapter.requestDevice({ requiredLimits: adapter.limits })
  const module = await import("@tensorflow/tfjs-backend-webgpu")
  if (tf.findBackendFactory("webgpu") !== null) tf.removeBackend("webgpu")
  const backend: unknown = Reflect.construct(module.WebGPUBackend, [device.raw, adapter.rawInfo])
  if (!(backend instanceof tf.KernelBackend)) {
    device.destroy()
    throw new Error("@tensorflow/tfjs-backend-webgpu uses a different @tensorflow/tfjs-core than @tensorflow/tfjs")
  }
  tf.registerBackend("webgpu", () => backend)
  return { device, details: { ...adapter.info, "loaded from": dawn.source } }
}

const open = (selection: DeviceSelection): Effect.Effect<Opened, DeviceUnavailable> =>
  Effect.tryPromise({
    try: async (): Promise<Opened> => {
      const details: Record<string, string> = { ...selection.status.details, engine: selection.engine }
      let webgpuDevice: GpuDeviceLike | null = null
      if (selection.name === "tensorflow") {
        // Native TensorFlow registers its backend into the shared tfjs-core when it loads.
        const load = await loadTensorflow(selection.gpu)
        if (load._tag === "Failed") throw new Error(load.attempts.map((a) => `${a.pkg}: ${a.reason}`).join("; "))
        const pinned = load.cudaVisibleDevices
        if (selection.gpu !== null && pinned !== null && pinned !== String(selection.gpu) && load.gpuBuild) {
          throw new Error(`TensorFlow already loaded in this process with CUDA_VISIBLE_DEVICES=${pinned}; GPU ${selection.gpu} needs a new process`)
        }
      }
      const tf = await loadTfjs()
      if (selection.name === "wasm") Object.assign(details, await prepareWasm(tf))
      if (selection.name === "webgpu") {
        const prepared = await prepareWebgpu(tf)
        webgpuDevice = prepared.device
        Object.assign(details, prepared.details)
      }
      const ok = await tf.setBackend(selection.name)
      if (!ok) {
        webgpuDevice?.destroy()
        throw new Error(`tf.setBackend("${selection.name}") failed to initialize the backend`)
      }
      await tf.ready()
      return { handle: { name: selection.name, tf, details }, webgpuDevice }
    },
    catch: (error) => unavailable(selection, errorLine(error))
  })

const close = (opened: Opened): Effect.Effect<void> =>
  Effect.sync(() => {
    const { tf } = opened.handle
    tf.disposeVariables()
    if (opened.webgpuDevice !== null) {
      // Removing the backend frees its buffers and pipelines before the device goes away.
      if (tf.findBackendFactory("webgpu") !== null) tf.removeBackend("webgpu")
      opened.webgpuDevice.destroy()
    }
  }).pipe(Effect.catchAllDefect((defect) => Effect.logWarning(`releasing device ${opened.handle.name} failed: ${errorLine(defect)}`)))

/**
 * Set up the selected tfjs backend for the life of the current Scope: tfjs is imported here (never
 * at module top level), the backend is set and ready, and closing the Scope disposes the variables
 * created meanwhile and, for WebGPU, the backend and its device. tfjs is process-global: hold one
 * handle at a time.
 */
export const acquireDevice = (selection: DeviceSelection): Effect.Effect<DeviceHandle, DeviceUnavailable, Scope.Scope> =>
  Effect.acquireRelease(open(selection), close).pipe(
    Effect.map((opened) => opened.handle),
    Effect.withSpan("Device.acquireDevice", { attributes: { device: selection.name } })
  )
