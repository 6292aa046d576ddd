import { describe, expect, it } from "@effect/vitest"
import { renderDevices } from "../../src/cli/devices.js"
import type { DeviceSelection, DeviceStatus } from "../../src/device/Device.js"

const statuses: ReadonlyArray<DeviceStatus> = [
  { name: "cpu", available: true, reason: "always works", details: { model: "Test CPU", cores: "2" } },
  { name: "wasm", available: true, reason: "compiles simd", details: { simd: "true" } },
  { name: "webgpu", available: false, reason: "no WebGPU adapter", details: {} },
  { name: "tensorflow", available: false, reason: "@tensorflow/tfjs-node-gpu: not installed", details: {} }
]

describe("renderDevices", () => {
  it("marks each backend and shows the details of the one auto picks", () => {
    const cpu = statuses[0]
    if (cpu === undefined) throw new Error("fixture")
    const auto: DeviceSelection = { name: "cpu", gpu: null, engine: "fused", status: cpu }
    const lines = renderDevices(statuses, auto).split("\n")
    expect(lines[1]).toMatch(/^cpu\s+✓\s+always works$/)
    expect(lines[3]).toMatch(/^webgpu\s+✗\s+no WebGPU adapter$/)
    expect(lines[4]).toContain("tensorflow")
    expect(lines).toContain("auto → cpu (training engine: fused CPU kernels)")
    expect(lines.some((line) => /^\s+model\s+Test CPU$/.test(line))).toBe(true)
    // Only the chosen backend's details are listed, not wasm's.
    expect(lines.some((line) => /^\s+simd\s/.test(line))).toBe(false)
  })

  it("says so when nothing is usable", () => {
    expect(renderDevices(statuses, null)).toContain("auto: no usable backend")
  })
})
