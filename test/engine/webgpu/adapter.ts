import { openGpu } from "../../../src/engine/webgpu/gpu.js"

/** Whether a WebGPU adapter (hardware or software) opens here, and why not. */
export interface AdapterCheck {
  readonly ok: boolean
  readonly reason: string
}

/** Set in .ci/run: a missing adapter fails the GPU tests instead of skipping them. */
export const requireWebgpu = process.env["LSTM_REQUIRE_WEBGPU"] === "1"

/**
 * Opens and closes a device once. Without an adapter the GPU tests are skipped with the reason
 * printed; with LSTM_REQUIRE_WEBGPU=1 (CI, which installs lavapipe) that is an error instead.
 */
export const checkAdapter = async (suite: string): Promise<AdapterCheck> => {
  const result = await openGpu("any", 0).then(
    (gpu) => {
      const reason = `${gpu.adapter.description || gpu.adapter.device} (${gpu.software === null ? "hardware" : "software"})`
      gpu.device.destroy()
      return { ok: true, reason }
    },
    (e: unknown) => ({ ok: false, reason: e instanceof Error ? e.message : String(e) })
  )
  if (!result.ok) {
    if (requireWebgpu) throw new Error(`LSTM_REQUIRE_WEBGPU=1 but ${result.reason}`)
    console.warn(`skipping ${suite}: ${result.reason} (set LSTM_REQUIRE_WEBGPU=1 to make this a failure)`)
  }
  return result
}
