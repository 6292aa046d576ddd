import { existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import {
  checkpointNames,
  copyOutput,
  fixture,
  metricSteps,
  oneTo,
  referenceRun,
  requireBuild,
  run,
  runArgs,
  start,
  summaryOf,
  tempDir,
  waitUntil
} from "./harness.js"

const config = fixture("early-stop.yaml")
const runDirOf = (out: string) => join(out, "early", "r")

/** The uninterrupted run: it stops early, and its newest checkpoint is not its best one. */
let reference: { out: string; sha: string; bestEpoch: number; epochs: number; newest: string; previous: string }

beforeAll(async () => {
  requireBuild()
  const { out, summary } = await referenceRun(config, "early-ref", runDirOf)
  expect(summary.stopped_early).toBe(true)
  expect(summary.best_epoch).toBeLessThan(summary.epochs_completed)
  const periodic = checkpointNames(runDirOf(out)).filter((n) => n.startsWith("epoch-"))
  expect(periodic.length).toBeGreaterThanOrEqual(2)
  // each epoch checkpoint is named after the epoch it completed, the last one after the last epoch
  const completed = (n: number) => `epoch-${String(n).padStart(4, "0")}-`
  expect(periodic.slice(-2).map((n) => n.slice(0, 11))).toEqual([completed(summary.epochs_completed - 1), completed(summary.epochs_completed)])
  reference = {
    out,
    sha: summary.weights_sha256 ?? "",
    bestEpoch: summary.best_epoch ?? 0,
    epochs: summary.epochs_completed,
    newest: periodic[periodic.length - 1] ?? "",
    previous: periodic[periodic.length - 2] ?? ""
  }
}, 60_000)

const expectSameAsReference = (runDir: string) => {
  const summary = summaryOf(runDir)
  expect(summary.status).toBe("success")
  expect(summary.stopped_early).toBe(true)
  expect(summary.best_epoch).toBe(reference.bestEpoch)
  expect(summary.epochs_completed).toBe(reference.epochs)
  expect(summary.weights_sha256).toBe(reference.sha)
  const steps = metricSteps(runDir)
  expect(steps["epoch"]).toEqual(oneTo(reference.epochs))
  expect(steps["final"]).toEqual([reference.epochs])
  const batches = steps["batch"] ?? []
  expect(batches).toEqual(oneTo(batches.length))
}

const corruptions: ReadonlyArray<{ readonly name: string; readonly apply: (dir: string) => void; readonly reason: RegExp }> = [
  {
    name: "truncated weights.bin",
    apply: (dir) => truncateSync(join(dir, "weights.bin"), 100),
    reason: /weights\.bin: size 100 ≠ \d+ \(truncated\)/
  },
  {
    name: "one flipped byte in optimizer.bin",
    apply: (dir) => {
      const bytes = readFileSync(join(dir, "optimizer.bin"))
      bytes[Math.floor(bytes.length / 2)] ^= 0x01
      writeFileSync(join(dir, "optimizer.bin"), bytes)
    },
    reason: /optimizer\.bin: sha256 mismatch \(corrupted\)/
  },
  { name: "deleted DONE marker", apply: (dir) => rmSync(join(dir, "DONE")), reason: /missing DONE marker/ },
  { name: "deleted MANIFEST.json", apply: (dir) => rmSync(join(dir, "MANIFEST.json")), reason: /MANIFEST\.json missing/ }
]

describe("a corrupt newest checkpoint", () => {
  for (const corruption of corruptions) {
    it(`${corruption.name}: named and refused when asked for, skipped by --resume last`, async () => {
      const out = copyOutput(reference.out, "corrupt")
      const runDir = runDirOf(out)
      const target = join(runDir, "checkpoints", reference.newest)
      corruption.apply(target)
      const metricsBefore = readFileSync(join(runDir, "metrics.jsonl"))

      const explicit = await run(runArgs(config, out, "r", ["--resume", target]))
      expect(explicit.code, explicit.stderr).toBe(2)
      expect(explicit.stderr).toContain(`checkpoint ${target} is corrupt`)
      expect(explicit.stderr).toMatch(corruption.reason)
      // refused before anything in the run directory changed
      expect(readFileSync(join(runDir, "metrics.jsonl")).equals(metricsBefore)).toBe(true)

      const last = await run(runArgs(config, out, "r", ["--resume", "last"]))
      expect(last.code, last.stderr).toBe(0)
      expect(last.stderr).toContain(`skipped corrupt checkpoint ${reference.newest}`)
      expect(last.stderr).toMatch(corruption.reason)
      expect(last.stderr).toContain(`resuming from ${join(runDir, "checkpoints", reference.previous)}`)
      expectSameAsReference(runDir)
    }, 60_000)
  }
})

describe("early stopping across a resume", () => {
  it("a run killed one epoch before it would stop early stops at the same epoch with the same weights", async () => {
    const out = tempDir("early-kill")
    const runDir = runDirOf(out)
    const proc = start(runArgs(config, out, "r"))
    // the checkpoint after the first epoch without improvement: the next one without stops the run
    const lastBeforeStop = `epoch-${String(reference.epochs - 1).padStart(4, "0")}-`
    const reached = await waitUntil(() => checkpointNames(runDir).some((n) => n.startsWith(lastBeforeStop)), 40_000, proc.exited)
    expect(reached, proc.stderr()).toBe(true)
    proc.child.kill("SIGKILL")
    const killed = await proc.ended
    expect(killed.signal).toBe("SIGKILL")
    expect(existsSync(join(runDir, "summary.json"))).toBe(false)

    const resumed = await run(runArgs(config, out, "r", ["--resume", "last"]))
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(/resuming from .*checkpoints\/(epoch-|best)/)
    expectSameAsReference(runDir)
  }, 60_000)
})

describe("a kill before the first checkpoint", () => {
  it("--resume last trains the run from the start in the same directory", async () => {
    const out = tempDir("early-nockpt")
    const runDir = runDirOf(out)
    const proc = start(runArgs(config, out, "r"))
    const claimed = await waitUntil(() => existsSync(join(runDir, "config.yaml")), 40_000, proc.exited)
    expect(claimed, proc.stderr()).toBe(true)
    proc.child.kill("SIGKILL")
    expect((await proc.ended).signal).toBe("SIGKILL")
    expect(checkpointNames(runDir)).toEqual([])

    const resumed = await run(runArgs(config, out, "r", ["--resume", "last"]))
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toContain("yet: training this run from the start")
    expectSameAsReference(runDir)
  }, 60_000)
})
