import { Effect } from "effect"
import type { Metrics, TrackerService } from "./Tracker.js"

/** Resident memory (MB) and CPU use (% of one core) of this process since the previous sample. */
export const systemSampler = (): (() => Metrics) => {
  let cpu = process.cpuUsage()
  let at = performance.now()
  return () => {
    const now = performance.now()
    const used = process.cpuUsage(cpu)
    const elapsedUs = Math.max(1, (now - at) * 1000)
    cpu = process.cpuUsage()
    at = now
    return {
      "system/rss_mb": Math.round(process.memoryUsage.rss() / 1024 / 102.4) / 10,
      "system/cpu_percent": Math.round((1000 * (used.user + used.system)) / elapsedUs) / 10
    }
  }
}

/** A Tracker whose epoch metrics carry the process's system metrics (`system/rss_mb`, `system/cpu_percent`). */
export const withSystemMetrics = (tracker: TrackerService, sample: () => Metrics = systemSampler()): TrackerService => ({
  ...tracker,
  logMetrics: (metrics, step, kind) =>
    kind === "epoch"
      ? Effect.suspend(() => tracker.logMetrics({ ...metrics, ...sample() }, step, kind))
      : tracker.logMetrics(metrics, step, kind)
})
