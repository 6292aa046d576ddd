import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { copyOutput, fixture, metricSteps, oneTo, requireBuild, run, runArgs, summaryOf, tempDir } from "./harness.js"

const config = fixture("early-stop.yaml")
const runDirOf = (out: string) => join(out, "early", "r")

/** A finished 3-epoch run to resume with other settings. */
let base: string

beforeAll(async () => {
  requireBuild()
  base = tempDir("guard")
  const ended = await run(runArgs(config, base, "r", ["--epochs", "3"]))
  expect(ended.code, ended.stderr).toBe(0)
}, 60_000)

/** The files a refused resume must leave exactly as they were. */
const snapshot = (runDir: string) =>
  ["config.yaml", "metrics.jsonl", "summary.json"].map((name) => readFileSync(join(runDir, name), "utf8"))

describe("the resume guard", () => {
  const refused: ReadonlyArray<{ readonly name: string; readonly flags: ReadonlyArray<string>; readonly diff: ReadonlyArray<RegExp> }> = [
    { name: "a different hidden size", flags: ["--epochs", "3", "--set", "model.hidden_size=16"], diff: [/model\.hidden_size: 8 → 16/] },
    { name: "more epochs without --allow-config-change", flags: ["--epochs", "5"], diff: [/train\.epochs: 3 → 5/] },
    {
      name: "different data",
      flags: ["--epochs", "3", "--set", "data.source.noise=2"],
      diff: [/data\.source\.noise: 3 → 2/, /data_fingerprint: "?[0-9a-f]{8}/]
    }
  ]
  for (const { name, flags, diff } of refused) {
    it(`refuses ${name} with exit 2 and a diff, touching nothing`, async () => {
      const runDir = runDirOf(base)
      const before = snapshot(runDir)
      const ended = await run(runArgs(config, base, "r", ["--resume", "last", ...flags]))
      expect(ended.code, ended.stderr).toBe(2)
      expect(ended.stderr).toContain("cannot resume from")
      expect(ended.stderr).toContain("changed since the checkpoint:")
      for (const line of diff) expect(ended.stderr).toMatch(line)
      expect(ended.stderr).toContain("--allow-config-change")
      expect(snapshot(runDir)).toEqual(before)
    }, 60_000)
  }

  it("--allow-config-change train.epochs continues the run to the new epoch count", async () => {
    const out = copyOutput(base, "guard-allow")
    const runDir = runDirOf(out)
    const ended = await run(runArgs(config, out, "r", ["--resume", "last", "--epochs", "5", "--allow-config-change", "train.epochs"]))
    expect(ended.code, ended.stderr).toBe(0)
    expect(ended.stderr).toMatch(/resuming from .*\(epoch 4, batch 0, step \d+\)/)
    const summary = summaryOf(runDir)
    expect(summary.status).toBe("success")
    expect(summary.epochs_completed).toBe(5)
    const steps = metricSteps(runDir)
    expect(steps["epoch"]).toEqual(oneTo(5))
    expect(steps["final"]).toEqual([5])
    const batches = steps["batch"] ?? []
    expect(batches).toEqual(oneTo(batches.length))
  }, 60_000)
})

describe("disk problems", () => {
  it("an output directory that cannot be created is a clear error (exit 2) and nothing is written", async () => {
    const dir = tempDir("unwritable")
    // as root no permission stops a write, but a file where a directory should be always does
    const blocker = join(dir, "not-a-directory")
    writeFileSync(blocker, "keep me\n")
    const ended = await run(runArgs(config, join(blocker, "runs"), "r"))
    expect(ended.code, ended.stderr).toBe(2)
    expect(ended.stderr).toContain(`cannot write to the output directory ${join(blocker, "runs")}`)
    expect(ended.stderr).toContain("ENOTDIR")
    expect(readFileSync(blocker, "utf8")).toBe("keep me\n")
    expect(readdirSync(dir)).toEqual(["not-a-directory"])
  }, 60_000)
})
