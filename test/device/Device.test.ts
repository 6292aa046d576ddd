import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit } from "effect"
import {
  acquireDevice,
  chooseDevice,
  probeDevices,
  selectDevice,
  type DeviceRequest,
  type DeviceSelection,
  type DeviceStatus
} from "../../src/device/Device.js"
import { AdapterProbe, fixedAdapterProbe } from "../../src/device/adapters.js"
import { tensorflowFailureReason } from "../../src/device/loaders.js"

// selection tests provide the WebGPU adapters, so they do not depend on this host's drivers
const noAdapters = Effect.provideService(AdapterProbe, fixedAdapterProbe({ adapters: [], failure: "test: no adapters", note: null }))
const lavapipeOnly = Effect.provideService(AdapterProbe, fixedAdapterProbe({
  adapters: [{ vendor: "mesa", architecture: "software", device: "llvmpipe", description: "llvmpipe: Mesa 25.0.7", isFallbackAdapter: true, subgroupMinSize: 8, subgroupMaxSize: 8, limits: {} }],
  failure: null,
  note: null
}))

const request = (over: Partial<DeviceRequest>): DeviceRequest => ({ device: "auto", gpu: null, cpu: false, ...over })

const byName = (statuses: ReadonlyArray<DeviceStatus>, name: DeviceStatus["name"]): DeviceStatus => {
  const found = statuses.find((s) => s.name === name)
  if (found === undefined) throw new Error(`no status for ${name}`)
  return found
}

const status = (name: DeviceStatus["name"], available: boolean, details: Record<string, string> = {}): DeviceStatus => ({
  name,
  available,
  reason: available ? "ok" : `${name} missing`,
  details
})

describe("probeDevices", () => {
  it.effect("reports all four backends with sensible statuses on this machine", () =>
    Effect.gen(function* () {
      const statuses = yield* probeDevices()
      expect(statuses.map((s) => s.name)).toEqual(["cpu", "wasm", "webgpu", "tensorflow"])

      const cpu = byName(statuses, "cpu")
      expect(cpu.available).toBe(true)
      expect(Number(cpu.details.cores)).toBeGreaterThan(0)
      expect(cpu.details.model?.length ?? 0).toBeGreaterThan(0)

      const wasm = byName(statuses, "wasm")
      expect(wasm.available).toBe(true)
      expect(wasm.details.simd).toMatch(/^(true|false)$/)
      expect(wasm.details.threads).toMatch(/^(true|false)$/)
      expect(wasm.details["@tensorflow/tfjs-backend-wasm"]).toMatch(/^4\.22\./)

      const tensorflow = byName(statuses, "tensorflow")
      expect(tensorflow.available).toBe(false)
      expect(tensorflow.reason).toMatch(/not installed|libtensorflow/)
      expect(tensorflow.reason).toContain("@tensorflow/tfjs-node-gpu")

      const webgpu = byName(statuses, "webgpu")
      if (webgpu.available) expect(webgpu.details).toHaveProperty("adapter 0 kind")
      else expect(webgpu.reason).toMatch(/adapter|not installed|failed to load/)
    })
  )
})

describe("tensorflowFailureReason", () => {
  it("says 'not installed' when the package cannot be found", () => {
    const error = Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node-gpu' imported from x.js"), { code: "ERR_MODULE_NOT_FOUND" })
    expect(tensorflowFailureReason("@tensorflow/tfjs-node-gpu", false, error)).toBe("not installed")
  })

  it("blames the missing libtensorflow when the package is there but its binding is not", () => {
    const error = Object.assign(
      new Error("Cannot find module '/app/node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node'"),
      { code: "MODULE_NOT_FOUND" }
    )
    const reason = tensorflowFailureReason("@tensorflow/tfjs-node-gpu", true, error)
    expect(reason).toContain("installed but libtensorflow missing")
    expect(reason).toContain("npm rebuild @tensorflow/tfjs-node-gpu")
  })

  it("passes other load errors through", () => {
    const reason = tensorflowFailureReason("@tensorflow/tfjs-node", true, new Error("boom\nstack"))
    expect(reason).toBe("installed but failed to load: boom")
  })
})

describe("selectDevice", () => {
  it.effect("fails with DeviceUnavailable when webgpu or tensorflow is asked for explicitly", () =>
    Effect.gen(function* () {
      const statuses = yield* probeDevices()
      for (const device of ["webgpu", "tensorflow"] as const) {
        if (byName(statuses, device).available) continue
        const error = yield* Effect.flip(selectDevice(request({ device })))
        expect(error._tag).toBe("DeviceUnavailable")
        expect(error.device).toBe(device)
        expect(error.reason).toBe(byName(statuses, device).reason)
        expect(error.fix.length).toBeGreaterThan(0)
      }
    }).pipe(noAdapters)
  )

  it.effect("auto falls back to cpu with the fused engine when no GPU backend works", () =>
    Effect.gen(function* () {
      const selection = yield* selectDevice(request({}))
      expect(selection.name).toBe("cpu")
      expect(selection.engine).toBe("fused")
      expect(selection.gpu).toBeNull()
    }).pipe(lavapipeOnly)
  )

  // issue 11 reversed the earlier warned fallback: `--gpu N` is an explicit request, under auto too
  it.effect("--gpu N without a hardware GPU is an error naming what was found, under auto and an explicit device; --cpu forces cpu", () =>
    Effect.gen(function* () {
      const auto = yield* Effect.flip(selectDevice(request({ gpu: 0 })))
      expect(auto.device).toBe("--gpu 0")
      expect(auto.reason).toContain("no hardware GPU")
      expect(auto.reason).toContain("llvmpipe")
      const error = yield* Effect.flip(selectDevice(request({ device: "webgpu", gpu: 0 })))
      expect(error.device).toBe("webgpu --gpu 0")
      expect(error.reason).toContain("software adapter only")
      const forced = yield* selectDevice(request({ device: "webgpu", gpu: 1, cpu: true }))
      expect(forced.name).toBe("cpu")
    }).pipe(lavapipeOnly)
  )
})

describe("chooseDevice", () => {
  const cpu = status("cpu", true)
  const wasm = status("wasm", true)
  const adapter = (description: string, software: boolean) => ({
    vendor: software ? "mesa" : "nvidia",
    architecture: software ? "software" : "hopper",
    device: description,
    description,
    isFallbackAdapter: software,
    subgroupMinSize: 32,
    subgroupMaxSize: 32,
    limits: {}
  })
  const webgpuOn: DeviceStatus = { ...status("webgpu", true), adapters: [adapter("NVIDIA H200", false)] }
  const webgpuSoftware: DeviceStatus = { ...status("webgpu", true), adapters: [adapter("llvmpipe", true)] }
  const tfGpu = status("tensorflow", true, { "gpu build": "true", "nvidia gpus": "2" })
  const tfCpu = status("tensorflow", true, { "gpu build": "false", "nvidia gpus": "0" })
  const name = (result: Either.Either<DeviceSelection, unknown>): string => Either.getOrThrow(Either.map(result, (s) => s.name))

  it("auto prefers a hardware WebGPU adapter, then tensorflow on a GPU or its CPU build, then cpu; never a software adapter", () => {
    expect(Either.getOrThrow(chooseDevice([cpu, wasm, webgpuOn, tfGpu], request({})))).toMatchObject({ name: "webgpu", engine: "webgpu", adapterPolicy: "any" })
    expect(name(chooseDevice([cpu, wasm, webgpuSoftware, tfGpu], request({})))).toBe("tensorflow")
    expect(name(chooseDevice([cpu, wasm, webgpuSoftware, tfCpu], request({})))).toBe("tensorflow")
    expect(name(chooseDevice([cpu, wasm, webgpuSoftware, status("tensorflow", false)], request({})))).toBe("cpu")
    expect(Either.getOrThrow(chooseDevice([cpu, wasm, webgpuSoftware, status("tensorflow", false)], request({ device: "webgpu" })))).toMatchObject({ name: "webgpu", adapterPolicy: "any" })
    expect(Either.getOrThrow(chooseDevice([cpu, wasm, webgpuOn, status("tensorflow", false)], request({ gpu: 0 })))).toMatchObject({ name: "webgpu", gpu: 0, adapterPolicy: "hardware" })
    expect(Either.isLeft(chooseDevice([cpu, wasm, webgpuSoftware, status("tensorflow", false)], request({ device: "webgpu", gpu: 0 })))).toBe(true)
    expect(name(chooseDevice([cpu, wasm, status("webgpu", false), tfCpu], request({})))).toBe("tensorflow")
    expect(name(chooseDevice([cpu, wasm, status("webgpu", false), status("tensorflow", false)], request({})))).toBe("cpu")
  })

  it("checks the GPU index against what the backend can address", () => {
    const ok = chooseDevice([cpu, wasm, webgpuSoftware, tfGpu], request({ gpu: 1 }))
    expect(Either.getOrThrow(ok)).toMatchObject({ name: "tensorflow", gpu: 1, engine: "tfjs" })
    const webgpuOnly = chooseDevice([cpu, wasm, webgpuOn, status("tensorflow", false)], request({ device: "webgpu", gpu: 1 }))
    expect(Either.isLeft(webgpuOnly)).toBe(true)
    const tooHigh = chooseDevice([cpu, wasm, webgpuOn, tfGpu], request({ device: "tensorflow", gpu: 2 }))
    expect(Either.isLeft(tooHigh) && tooHigh.left.reason).toContain("indices 0..1")
  })

  it("refuses --gpu on a backend that runs on the CPU", () => {
    const result = chooseDevice([cpu, wasm, webgpuOn, tfCpu], request({ device: "wasm", gpu: 0 }))
    expect(Either.isLeft(result) && result.left.reason).toContain("does not run on a GPU")
  })
})

describe("acquireDevice", () => {
  const selectionOf = (statuses: ReadonlyArray<DeviceStatus>, name: "cpu" | "wasm"): DeviceSelection => ({
    name,
    gpu: null,
    engine: "fused",
    status: byName(statuses, name)
  })

  it.effect("sets the backend and leaves no tensors behind on release", () =>
    Effect.gen(function* () {
      const statuses = yield* probeDevices()
      const tf = yield* Effect.promise(() => import("@tensorflow/tfjs"))
      const before = tf.memory().numTensors
      const seen = yield* Effect.scoped(
        Effect.gen(function* () {
          const handle = yield* acquireDevice(selectionOf(statuses, "cpu"))
          expect(handle.tf.getBackend()).toBe("cpu")
          // A variable created while the handle is open is disposed when it closes.
          handle.tf.tidy(() => handle.tf.variable(handle.tf.zeros([4])))
          expect(handle.tf.memory().numTensors).toBeGreaterThan(before)
          return handle.name
        })
      )
      expect(seen).toBe("cpu")
      expect(tf.getBackend()).toBe("cpu")
      expect(tf.memory().numTensors).toBe(before)
    })
  )

  it.effect("runs a matmul on the wasm backend with correct values", () =>
    Effect.gen(function* () {
      const statuses = yield* probeDevices()
      const values = yield* Effect.scoped(
        Effect.gen(function* () {
          const { tf, details } = yield* acquireDevice(selectionOf(statuses, "wasm"))
          expect(tf.getBackend()).toBe("wasm")
          expect(details["wasm directory"]).toMatch(/tfjs-backend-wasm\/dist\/$/)
          const before = tf.memory().numTensors
          const product = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), tf.tensor2d([7, 8, 9, 10, 11, 12], [3, 2])))
          const data = yield* Effect.promise(() => product.data())
          product.dispose()
          expect(tf.memory().numTensors).toBe(before)
          return Array.from(data)
        })
      )
      expect(values).toEqual([58, 64, 139, 154])
    })
  )

  it.effect("fails with DeviceUnavailable when the backend cannot be set up", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.scoped(acquireDevice({ name: "tensorflow", gpu: null, engine: "tfjs", status: status("tensorflow", false) }))
      )
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain("DeviceUnavailable")
    })
  )
})
