import type { RawEngine } from "../raw.js"
import type { ModelSpec } from "../../model/spec.js"
import type { OptimizerSpec } from "../types.js"
import { makeWebgpuEngine } from "./engine.js"
import { openGpu, type AdapterPolicy } from "./gpu.js"
import { kernelShape, workgroupBytes } from "./shaders.js"

/**
 * Fault injection for the device-loss tests: with LSTM_WEBGPU_LOSE_DEVICE_AFTER=N the device is
 * destroyed after this process's N-th training step, as a driver reset would do.
 */
const loseDeviceAfter = (): number | null => {
  const n = Number(process.env["LSTM_WEBGPU_LOSE_DEVICE_AFTER"] ?? "")
  return Number.isInteger(n) && n > 0 ? n : null
}

/** Opens a device for a spec and builds the engine on it; the engine owns (and destroys) the device. */
export const openWebgpuEngine = async (
  cfg: { readonly spec: ModelSpec; readonly optimizer: OptimizerSpec; readonly seed: number },
  policy: AdapterPolicy
): Promise<RawEngine> => {
  const gpu = await openGpu(policy, workgroupBytes(kernelShape(cfg.spec)))
  let engine: RawEngine
  try {
    engine = await makeWebgpuEngine({ ...cfg, gpu })
  } catch (e) {
    gpu.device.destroy()
    throw e
  }
  const after = loseDeviceAfter()
  if (after === null) return engine
  let steps = 0
  return {
    ...engine,
    step: async (batch, lr) => {
      const result = await engine.step(batch, lr)
      if (++steps === after) gpu.device.destroy()
      return result
    }
  }
}
