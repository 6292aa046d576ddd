import { existsSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import {
  checkpointNames,
  checkpointProblem,
  fixture,
  metricSteps,
  referenceRun,
  requireBuild,
  run,
  runArgs,
  shellWords,
  start,
  summaryOf,
  tempDir,
  trainStateOf,
  waitUntil
} from "./harness.js"

const config = fixture("kill.yaml")
const runDirOf = (out: string) => join(out, "resume", "r")

let reference: { sha: string; steps: Record<string, Array<number>> }

beforeAll(async () => {
  requireBuild()
  reference = await referenceRun(config, "signals-ref", runDirOf)
}, 60_000)

/**
 * Starts a run, waits until training has written its first checkpoint and `afterMs` more, sends `signals` (the later
 * ones once the first is acknowledged), and returns how the process ended.
 */
const interrupt = async (out: string, signals: ReadonlyArray<NodeJS.Signals>, afterMs: number) => {
  const proc = start(runArgs(config, out, "r"))
  const runDir = runDirOf(out)
  const training = await waitUntil(() => checkpointNames(runDir).length > 0, 40_000, proc.exited)
  expect(training, proc.stderr()).toBe(true)
  await new Promise((r) => setTimeout(r, afterMs))
  const sentAt = performance.now()
  proc.child.kill(signals[0])
  for (const signal of signals.slice(1)) {
    // right after the first: while the emergency checkpoint is being written
    await waitUntil(() => proc.stderr().includes("received"), 5_000, proc.exited)
    proc.child.kill(signal)
  }
  const ended = await proc.ended
  return { ended, seconds: (performance.now() - sentAt) / 1000, runDir }
}

/** Runs the command the interrupted process printed, and checks the run ends as the uninterrupted one. */
const resumeAsTold = async (stderr: string, runDir: string, emergencyStep: number) => {
  const hint = /To continue this run: (pipeline run .*)$/m.exec(stderr)
  expect(hint, stderr).not.toBeNull()
  const words = shellWords(hint?.[1] ?? "")
  expect(words.slice(0, 2)).toEqual(["pipeline", "run"])
  expect(words.slice(-2)).toEqual(["--resume", "last"])
  const resumed = await run(words.slice(1))
  expect(resumed.code, resumed.stderr).toBe(0)
  // from the emergency checkpoint, or a periodic one of the same step (the same state)
  expect(resumed.stderr).toContain(`step ${emergencyStep})`)
  const summary = summaryOf(runDir)
  expect(summary.status).toBe("success")
  expect(summary.weights_sha256).toBe(reference.sha)
  const steps = metricSteps(runDir)
  expect(steps["batch"]).toEqual(reference.steps["batch"])
  expect(steps["epoch"]).toEqual(reference.steps["epoch"])
  expect(steps["final"]).toEqual(reference.steps["final"])
}

/** The emergency checkpoint an interrupt left: exactly one, intact, between batches. */
const emergencyOf = (runDir: string): string => {
  const names = checkpointNames(runDir).filter((n) => n.startsWith("emergency-step-"))
  expect(names).toHaveLength(1)
  const dir = join(runDir, "checkpoints", names[0] ?? "")
  expect(checkpointProblem(dir)).toBeNull()
  const state = trainStateOf(dir)
  expect(names[0]).toBe(`emergency-step-${String(state.step).padStart(8, "0")}`)
  return dir
}

describe("SIGINT and SIGTERM", () => {
  it("SIGINT: exit 130, an intact emergency checkpoint, a resume hint that works and gives the same weights", async () => {
    const out = tempDir("sigint")
    const { ended, seconds, runDir } = await interrupt(out, ["SIGINT"], 150)
    expect(ended.code, ended.stderr).toBe(130)
    expect(ended.stderr).toContain("SIGINT received")
    expect(ended.stderr).toMatch(/interrupted: emergency checkpoint written to .*emergency-step-\d{8}/)
    console.log(`SIGINT → exit: ${seconds.toFixed(2)} s`)
    const emergency = emergencyOf(runDir)
    expect(summaryOf(runDir).status).toBe("interrupted")
    await resumeAsTold(ended.stderr, runDir, trainStateOf(emergency).step)
  }, 60_000)

  it("SIGTERM: exit 143 and the same guarantees", async () => {
    const out = tempDir("sigterm")
    const { ended, runDir } = await interrupt(out, ["SIGTERM"], 400)
    expect(ended.code, ended.stderr).toBe(143)
    expect(ended.stderr).toContain("SIGTERM received")
    await resumeAsTold(ended.stderr, runDir, trainStateOf(emergencyOf(runDir)).step)
  }, 60_000)

  it("a second SIGINT during the emergency save neither kills the process nor corrupts the checkpoint", async () => {
    const out = tempDir("sigint2")
    const { ended, runDir } = await interrupt(out, ["SIGINT", "SIGINT", "SIGINT"], 250)
    expect(ended.signal).toBeNull()
    expect(ended.code, ended.stderr).toBe(130)
    // what it is busy with when the second one lands: the checkpoint, or (once it is written) the trackers
    expect(ended.stderr).toMatch(/SIGINT again: (still writing the checkpoint|closing the trackers|finishing the run)/)
    await resumeAsTold(ended.stderr, runDir, trainStateOf(emergencyOf(runDir)).step)
  }, 60_000)
})

/** A CSV at the reference size's shape: a target, one extra feature, and dates (day-of-week sin/cos): 4 inputs. */
const referenceCsv = (rows: number): string => {
  const lines = ["date,load,temp"]
  const day0 = Date.UTC(2020, 0, 1)
  for (let i = 0; i < rows; i++) {
    const date = new Date(day0 + i * 86_400_000).toISOString().slice(0, 10)
    const temp = 10 + 8 * Math.sin((2 * Math.PI * i) / 365) + ((i * 7919) % 13) / 13
    const load = 100 + 0.02 * i + 10 * Math.sin((2 * Math.PI * i) / 7) + 0.5 * temp + ((i * 104729) % 17) / 17
    lines.push(`${date},${load.toFixed(3)},${temp.toFixed(3)}`)
  }
  return lines.join("\n") + "\n"
}

describe("emergency save at the reference size (2 layers, hidden 64, lookback 60, 4 features, batch 64)", () => {
  it("writes the checkpoint and exits within 2 s of SIGINT", async () => {
    const out = tempDir("refsize")
    writeFileSync(join(out, "series.csv"), referenceCsv(1500))
    const configFile = join(out, "reference.yaml")
    writeFileSync(
      configFile,
      [
        "experiment: refsize",
        "data:",
        "  source: { kind: csv, path: series.csv, time_column: date, target_column: load, feature_columns: [temp] }",
        "  lookback: 60",
        "  calendar: { day_of_week: true, day_of_year: false }",
        "model: { layers: 2, hidden_size: 64 }",
        "train: { epochs: 20, batch_size: 64 }",
        "runtime: { threads: 1 }",
        "tracking: { trackers: [jsonl] }",
        ""
      ].join("\n")
    )
    const proc = start(runArgs(configFile, join(out, "runs"), "r"))
    const training = await waitUntil(() => /epoch +1\/20/.test(proc.stderr()), 60_000, proc.exited)
    expect(training, proc.stderr()).toBe(true)
    const sentAt = performance.now()
    let savedAt = 0
    proc.child.stderr?.on("data", () => {
      if (savedAt === 0 && proc.stderr().includes("emergency checkpoint written")) savedAt = performance.now()
    })
    proc.child.kill("SIGINT")
    const ended = await proc.ended
    const exitSeconds = (performance.now() - sentAt) / 1000
    const saveSeconds = (savedAt - sentAt) / 1000
    console.log(`reference size: SIGINT → emergency checkpoint written ${saveSeconds.toFixed(2)} s, → exit ${exitSeconds.toFixed(2)} s`)
    expect(ended.code, ended.stderr).toBe(130)
    const runDir = join(out, "runs", "refsize", "r")
    const dir = emergencyOf(runDir)
    expect(trainStateOf(dir).step).toBeGreaterThan(0)
    expect(existsSync(join(runDir, "checkpoints", "best"))).toBe(true)
    expect(savedAt).toBeGreaterThan(0)
    expect(exitSeconds).toBeLessThan(2)
  }, 90_000)
})
