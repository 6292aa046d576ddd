import { Schema } from "effect"

/** A WebGPU failure inside the GPU engine; `kind` says which, `message` what Dawn reported. */
export class GpuFailure extends Schema.TaggedError<GpuFailure>()("GpuFailure", {
  kind: Schema.Literal("no-adapter", "software-adapter", "limits", "validation", "out-of-memory", "device-lost", "internal"),
  detail: Schema.String
}) {
  override get message(): string {
    switch (this.kind) {
      case "device-lost":
        return `the GPU device was lost: ${this.detail} (the last checkpoint written is intact; resume from it with --resume last)`
      case "out-of-memory":
        return `the GPU ran out of memory: ${this.detail} (use a smaller --batch-size or model)`
      case "validation":
        return `WebGPU rejected a command: ${this.detail}`
      case "no-adapter":
        return `no WebGPU adapter: ${this.detail}`
      case "software-adapter":
        return `only a software WebGPU adapter is available: ${this.detail}`
      case "limits":
        return `the WebGPU adapter's limits are too small: ${this.detail}`
      case "internal":
        return `WebGPU internal error: ${this.detail}`
    }
  }
}
