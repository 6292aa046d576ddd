import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { adapterLabel, softwareReason } from "../../src/device/adapterKind.js"
import { AdapterProbe, explainDawnStderr, fixedAdapterProbe, hardwareAdapters } from "../../src/device/adapters.js"
import { probeDevices } from "../../src/device/Device.js"
import { renderDevices } from "../../src/cli/devices.js"

const base = { vendor: "", architecture: "", device: "", description: "", isFallbackAdapter: false, subgroupMinSize: null, subgroupMaxSize: null, limits: {} }
const lavapipe = { ...base, vendor: "mesa", architecture: "software", device: "llvmpipe-llvm-15", description: "llvmpipe: Mesa 25.0.7", isFallbackAdapter: true, subgroupMinSize: 8, subgroupMaxSize: 8, limits: { maxComputeWorkgroupStorageSize: 32768 } }
const h200 = { ...base, vendor: "nvidia", architecture: "hopper", device: "NVIDIA H200", description: "NVIDIA: 570.00", subgroupMinSize: 32, subgroupMaxSize: 32 }

describe("WebGPU adapter classification", () => {
  it("tells software adapters from hardware GPUs", () => {
    expect(softwareReason(lavapipe)).toContain("lavapipe")
    expect(softwareReason({ ...base, description: "SwiftShader Device (Subzero)" })).toContain("SwiftShader")
    expect(softwareReason({ ...base, description: "some new CPU driver", isFallbackAdapter: true })).toContain("isFallbackAdapter")
    expect(softwareReason({ ...base, architecture: "cpu", description: "x" })).toContain("architecture")
    expect(softwareReason(h200)).toBeNull()
    expect(adapterLabel(lavapipe)).toMatch(/llvmpipe.*\(software\)/)
    expect(adapterLabel(h200)).toMatch(/H200|NVIDIA.*\(hardware GPU\)/)
    expect(hardwareAdapters({ adapters: [h200, lavapipe], failure: null, note: null })).toEqual([h200])
  })

  it("says Dawn's native stderr in words and drops its harmless limit notes", () => {
    expect(explainDawnStderr("Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16\n")).toBeNull()
    expect(explainDawnStderr("Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file\n")).toContain("install libvulkan1")
    expect(explainDawnStderr("something odd\nand more\n")).toBe("Dawn reported: something odd (+1 more line(s))")
  })

  it.effect("probeDevices reports the provided adapters: lavapipe as software, unusable by auto", () =>
    Effect.gen(function* () {
      const statuses = yield* probeDevices({ only: ["cpu", "webgpu"] }).pipe(
        Effect.provideService(AdapterProbe, fixedAdapterProbe({ adapters: [lavapipe], failure: null, note: null }))
      )
      const webgpu = statuses.find((s) => s.name === "webgpu")!
      expect(webgpu.available).toBe(true)
      expect(webgpu.reason).toContain("software adapter only")
      expect(webgpu.details["adapter 0 kind"]).toContain("software")
      const text = renderDevices(statuses, null)
      expect(text).toContain("webgpu adapters")
      expect(text).toContain("maxComputeWorkgroupStorageSize=32768; subgroup size 8")
      const none = yield* probeDevices({ only: ["webgpu"] }).pipe(
        Effect.provideService(AdapterProbe, fixedAdapterProbe({ adapters: [], failure: null, note: explainDawnStderr("Couldn't load Vulkan") }))
      )
      expect(none.find((s) => s.name === "webgpu")!.reason).toMatch(/no WebGPU adapter.*Vulkan loader/)
    })
  )
})
