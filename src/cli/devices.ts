import { Command, Options } from "@effect/cli"
import { Console, Effect, Either } from "effect"
import { chooseDevice, probeDevices, type DeviceSelection, type DeviceStatus } from "../device/Device.js"
import { fusedEngineChoice } from "../engine/nativeAddon.js"

const pad = (text: string, width: number): string => text + " ".repeat(Math.max(0, width - [...text].length))

/** The human-readable report: one row per backend, then the details of the one `auto` picks. */
export const renderDevices = (statuses: ReadonlyArray<DeviceStatus>, auto: DeviceSelection | null): string => {
  const rows = statuses.map((s) => [s.name, s.available ? "✓" : "✗", s.reason] as const)
  const nameWidth = Math.max("backend".length, ...rows.map(([name]) => name.length))
  const lines = [
    `${pad("backend", nameWidth)}  ok  reason`,
    ...rows.map(([name, mark, reason]) => `${pad(name, nameWidth)}  ${mark}   ${reason}`),
    ""
  ]
  const webgpu = statuses.find((s) => s.name === "webgpu")
  const adapterLines = Object.entries(webgpu?.details ?? {}).filter(([key]) => key.startsWith("adapter ") || key === "dawn")
  if (adapterLines.length > 0) {
    const width = Math.max(...adapterLines.map(([key]) => key.length))
    lines.push("webgpu adapters (software ones train only with --device webgpu):", ...adapterLines.map(([key, value]) => `  ${pad(key, width)}  ${value}`), "")
  }
  if (auto === null) return [...lines, "auto: no usable backend"].join("\n")
  const details = Object.entries(auto.status.details)
  const keyWidth = Math.max(0, ...details.map(([key]) => key.length))
  return [
    ...lines,
    `auto → ${auto.name} (training engine: ${auto.engine === "fused" ? "fused CPU kernels" : auto.engine === "webgpu" ? "fused WGSL kernels" : "tfjs ops on the device"})`,
    ...details.map(([key, value]) => `  ${pad(key, keyWidth)}  ${value}`)
  ].join("\n")
}

/** `pipeline devices [--json]`: which tfjs backends work here and which one `auto` would use. */
export const devicesCommand = Command.make(
  "devices",
  { json: Options.boolean("json").pipe(Options.withDescription("Print the probe results as JSON")) },
  ({ json }) =>
    Effect.gen(function* () {
      const statuses = yield* probeDevices()
      const auto = Either.getOrNull(chooseDevice(statuses, { device: "auto", gpu: null, cpu: false }))
      // the fused CPU engine auto trains with: native-avx512 / native-avx2, or wasm and why
      const fused = fusedEngineChoice()
      if (json) {
        const report = { devices: statuses, auto: auto === null ? null : { name: auto.name, engine: auto.engine }, cpu_engine: fused }
        yield* Console.log(JSON.stringify(report, null, 2))
      } else {
        yield* Console.log(`${renderDevices(statuses, auto)}\ncpu training engine: ${fused.name} (${fused.why})`)
      }
    })
).pipe(Command.withDescription("List the compute backends (cpu, wasm, webgpu, tensorflow) and which one auto picks"))
