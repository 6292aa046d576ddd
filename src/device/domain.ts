import { Schema } from "effect"
import type { AdapterReport } from "./adapters.js"

/** The tfjs backends this pipeline knows how to run on. */
export const DeviceNames = ["cpu", "wasm", "webgpu", "tensorflow"] as const

/** One tfjs backend by name. */
export type DeviceName = (typeof DeviceNames)[number]

/** What a probe found out about one backend on this machine. */
export interface DeviceStatus {
  readonly name: DeviceName
  readonly available: boolean
  /** Why it is (un)available, in words a user can act on. */
  readonly reason: string
  /** Facts worth printing: CPU model, adapter vendor, SIMD support, versions. */
  readonly details: Readonly<Record<string, string>>
  /** webgpu only: every adapter found, hardware first. */
  readonly adapters?: ReadonlyArray<AdapterReport>
}

/** What the user asked for: `--device`, `--gpu N` and `--cpu`. */
export interface DeviceRequest {
  readonly device: "auto" | DeviceName
  /** GPU index; null when no GPU was asked for. */
  readonly gpu: number | null
  /** Force the cpu backend, whatever else was asked. */
  readonly cpu: boolean
}

/** Which training engine runs the math: our fused CPU kernels, our fused WGSL kernels, or tfjs ops on the device. */
export type EngineKind = "fused" | "webgpu" | "tfjs"

/** The backend chosen for a run, with the probe result that justified it. */
export interface DeviceSelection {
  readonly name: DeviceName
  /** GPU index to use; null on CPU backends. */
  readonly gpu: number | null
  /** The fused CPU engine trains whenever the device is cpu or wasm; the WGSL engine on webgpu. */
  readonly engine: EngineKind
  /** webgpu: whether a software adapter may train (only when asked for by --device webgpu without --gpu). */
  readonly adapterPolicy?: "hardware" | "any"
  readonly status: DeviceStatus
  /** Set when `auto` could not honour a preference (e.g. `--gpu N` with no GPU) and fell back. */
  readonly warning?: string
}

/** A requested backend cannot be used here; the CLI prints it and exits with code 2. */
export class DeviceUnavailable extends Schema.TaggedError<DeviceUnavailable>()("DeviceUnavailable", {
  device: Schema.String,
  reason: Schema.String,
  fix: Schema.String
}) {
  override get message(): string {
    return `device ${this.device} is unavailable: ${this.reason}.`
  }
}

/** The tfjs module as imported from `@tensorflow/tfjs`. */
export type Tfjs = typeof import("@tensorflow/tfjs")

/** A tfjs backend that is set and ready; valid until the Scope that acquired it closes. */
export interface DeviceHandle {
  readonly name: DeviceName
  readonly tf: Tfjs
  readonly details: Readonly<Record<string, string>>
}
