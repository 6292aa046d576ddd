import { Effect } from "effect"
import { availableParallelism } from "node:os"
import { ConfigError } from "./ConfigError.js"
import type { TrainConfig } from "./TrainConfig.js"

/** Engine threads allowed per core: beyond that, threads only wait on each other and cost memory. */
export const THREADS_PER_CORE = 4

/**
 * Settings that decode fine but cannot work together on this machine, refused before anything is
 * written: more engine threads than 4 × cores, or a GPU index with a CPU-only device.
 */
export const checkRuntime = (
  file: string,
  config: TrainConfig,
  cores: number = availableParallelism()
): Effect.Effect<void, ConfigError> => {
  const { device, gpu, threads } = config.runtime
  const limit = THREADS_PER_CORE * Math.max(1, cores)
  if (threads > limit) {
    return Effect.fail(
      new ConfigError({
        file,
        field: "runtime.threads",
        message: `runtime.threads ${threads} is more than ${THREADS_PER_CORE} × the ${cores} cores of this machine (${limit}): each thread is a worker with its own memory, and more threads than cores only wait on each other.`,
        fix: `use --threads 0 (one per core) or at most --threads ${limit}`
      })
    )
  }
  if (gpu !== null && (device === "cpu" || device === "wasm")) {
    return Effect.fail(
      new ConfigError({
        file,
        field: "runtime.gpu",
        message: `runtime.gpu ${gpu} asks for a GPU, but runtime.device ${device} computes on the CPU: the two contradict each other.`,
        fix: "drop --gpu to run on the CPU, or choose a GPU backend: --device webgpu, tensorflow or auto"
      })
    )
  }
  return Effect.void
}
