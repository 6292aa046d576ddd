import type { RawEngine } from "../raw.js"
import type { ModelSpec } from "../../model/spec.js"
import type { OptimizerSpec } from "../types.js"
import { makeWebgpuEngine } from "./engine.js"
import { openGpu, type AdapterPolicy } from "./gpu.js"
import { kernelShape, workgroupBytes } from "./shaders.js"

/** Opens a device for a spec and builds the engine on it; the engine owns (and destroys) the device. */
export const openWebgpuEngine = async (
  cfg: { readonly spec: ModelSpec; readonly optimizer: OptimizerSpec; readonly seed: number },
  policy: AdapterPolicy
): Promise<RawEngine> => {
  const gpu = await openGpu(policy, workgroupBytes(kernelShape(cfg.spec)))
  try {
    return await makeWebgpuEngine({ ...cfg, gpu })
  } catch (e) {
    gpu.device.destroy()
    throw e
  }
}
