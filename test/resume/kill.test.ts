import { existsSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import {
  checkpointNames,
  checkpointProblem,
  fixture,
  metricSteps,
  oneTo,
  referenceRun,
  requireBuild,
  run,
  runArgs,
  seeded,
  start,
  summaryOf,
  tempDir,
  waitUntil
} from "./harness.js"

const config = fixture("kill.yaml")
const runDirOf = (out: string) => join(out, "resume", "r")

/** The uninterrupted run: its final weights and metric streams are what every resumed run must match. */
let reference: { sha: string; steps: Record<string, Array<number>> }

beforeAll(async () => {
  requireBuild()
  reference = await referenceRun(config, "kill-ref", runDirOf)
  expect(reference.sha).toMatch(/^[0-9a-f]{64}$/)
  // the reference itself logs each batch step and each epoch exactly once
  const batches = reference.steps["batch"] ?? []
  expect(batches).toEqual(oneTo(batches.length))
  expect(reference.steps["epoch"]).toEqual(oneTo(5))
  expect(reference.steps["final"]).toEqual([5])
}, 60_000)

/** Where a killed process stood, for the log: how far training got and which checkpoints it left. */
const describeKill = (runDir: string, when: string): string => {
  if (!existsSync(runDir)) return `${when}: before the run directory existed`
  const names = checkpointNames(runDir)
  const steps = existsSync(join(runDir, "metrics.jsonl")) ? metricSteps(runDir)["batch"] ?? [] : []
  return `${when}: ${names.length} checkpoint(s) [${names.join(", ")}], metrics up to step ${Math.max(0, ...steps)}`
}

describe("SIGKILL at random points, then --resume last until done", () => {
  it("ends with the uninterrupted run's weights and each metric step exactly once", async () => {
    const random = seeded(20240611)
    const out = tempDir("kill")
    const runDir = runDirOf(out)
    const kills: Array<string> = []
    // most kills land while training (a random time after the engine starts), some during startup;
    // a long delay also reaches evaluation and persisting
    for (let attempt = 0; attempt < 10; attempt++) {
      const duringStartup = attempt % 5 === 4
      const delay = Math.round(duringStartup ? 100 + random() * 1400 : random() * 1500)
      const resume = existsSync(runDir) ? ["--resume", "last"] : []
      const proc = start(runArgs(config, out, "r", resume))
      if (!duringStartup) await waitUntil(() => proc.stderr().includes("device: cpu"), 30_000, proc.exited)
      const timer = setTimeout(() => proc.child.kill("SIGKILL"), delay)
      const ended = await proc.ended
      clearTimeout(timer)
      const when = `${duringStartup ? "after start" : "into training"} ${delay} ms`
      if (ended.code === 0) {
        kills.push(`${when}: finished before the kill`)
        continue
      }
      expect(ended.signal, ended.stderr).toBe("SIGKILL")
      kills.push(describeKill(runDir, when))
      // whatever a kill leaves, every checkpoint that has its DONE marker verifies
      for (const name of checkpointNames(runDir)) {
        if (existsSync(join(runDir, "checkpoints", name, "DONE"))) expect(checkpointProblem(join(runDir, "checkpoints", name))).toBeNull()
      }
    }
    const last = await run(runArgs(config, out, "r", existsSync(runDir) ? ["--resume", "last"] : []))
    expect(last.code, last.stderr).toBe(0)
    console.log(`kill points (${kills.length}):\n  ${kills.join("\n  ")}`)

    const summary = summaryOf(runDir)
    expect(summary.status).toBe("success")
    expect(summary.weights_sha256).toBe(reference.sha)
    const steps = metricSteps(runDir)
    expect(steps["batch"]).toEqual(reference.steps["batch"])
    expect(steps["epoch"]).toEqual(reference.steps["epoch"])
    expect(steps["final"]).toEqual(reference.steps["final"])
  }, 120_000)
})
