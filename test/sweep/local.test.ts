import { existsSync, readFileSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { processesWith } from "./processes.js"
import { requireBuild, root, run, tempDir } from "../resume/harness.js"

const fixture = (name: string) => join(root, "test", "fixtures", "sweep", name)

interface SweepJson {
  readonly best: { readonly trial: string; readonly run_dir: string } | null
  readonly epochs_run: number
  readonly trials: ReadonlyArray<{ id: string; state: string; attempts: number; epochs: number; metric: number | null; last: number | null; error: string | null; params: Record<string, number> }>
  readonly rungs: ReadonlyArray<{ rung: number; trial: string; value: number }>
}

const sweepJsonOf = (out: string, experiment: string): { json: SweepJson; dir: string } => {
  const sweeps = join(out, experiment, "sweeps")
  const [id] = readdirSync(sweeps)
  const dir = join(sweeps, id!)
  return { json: JSON.parse(readFileSync(join(dir, "sweep.json"), "utf8")) as SweepJson, dir }
}

beforeAll(() => requireBuild())

describe("pipeline sweep on this machine (no Redis)", () => {
  it("runs the 8-trial grid with --parallel 2, each trial once; a re-run starts nothing", async () => {
    const out = tempDir("sweep-local")
    const args = ["sweep", fixture("grid8.yaml"), "--parallel", "2", "--threads", "1", "--output-dir", out]
    const first = await run(args)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain("8 complete")
    const { json, dir } = sweepJsonOf(out, "grid8")
    expect(json.trials).toHaveLength(8)
    for (const t of json.trials) {
      expect(t.state).toBe("complete")
      expect(t.attempts).toBe(1)
      expect(t.metric).not.toBeNull()
    }
    // sorted by the metric, the best first, and its run directory is a real run
    const metrics = json.trials.map((t) => t.metric ?? Infinity)
    expect(metrics).toEqual([...metrics].sort((a, b) => a - b))
    expect(json.best?.trial).toBe(json.trials[0]!.id)
    expect(existsSync(join(json.best!.run_dir, "summary.json"))).toBe(true)
    expect(first.stdout).toContain(`best: ${json.best!.trial}`)
    const html = readFileSync(join(dir, "report.html"), "utf8")
    expect(html).toContain("data:image/png;base64,")
    expect(existsSync(join(dir, "sweep.png"))).toBe(true)

    const compare = await run(["runs", "compare", "--experiment", "grid8", "--output-dir", out])
    expect(compare.code, compare.stderr).toBe(0)
    for (const t of json.trials) expect(compare.stdout).toContain(t.id)

    const again = await run(args)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain("8 trials already complete")
    const after = sweepJsonOf(out, "grid8").json
    expect(after.trials.map((t) => t.attempts)).toEqual(json.trials.map(() => 1))
  }, 400_000)

  it("ASHA prunes the hopeless learning rates at the first rung and their processes exit", async () => {
    const out = tempDir("sweep-asha")
    const ended = await run(["sweep", fixture("asha.yaml"), "--parallel", "2", "--output-dir", out])
    expect(ended.code, ended.stderr).toBe(0)
    const { json, dir } = sweepJsonOf(out, "asha")
    const byLr = new Map(json.trials.map((t) => [t.params["train.learning_rate"], t]))
    for (const lr of [0.000001, 0.0000005]) {
      const t = byLr.get(lr)!
      expect(t.state, `lr ${lr}`).toBe("pruned")
      // stopped soon after its first rung, well before max_epochs
      expect(t.epochs).toBeLessThan(4)
      expect(json.rungs.filter((r) => r.trial === t.id).map((r) => r.rung)).toEqual([1])
      expect(processesWith(t.id)).toEqual([])
    }
    const best = json.trials[0]!
    expect(best.state).toBe("complete")
    expect([0.003, 0.01]).toContain(best.params["train.learning_rate"])
    // the saving ASHA is for: fewer epochs than the full grid of 4 × 4
    expect(json.epochs_run).toBeLessThan(16)
    expect(existsSync(join(dir, "rungs.png"))).toBe(true)
  }, 400_000)

  it("a failing trial is recorded with its error line and never stops the sweep; bad input is not retried", async () => {
    const out = tempDir("sweep-failing")
    const ended = await run(["sweep", fixture("failing.yaml"), "--parallel", "2", "--threads", "1", "--output-dir", out])
    expect(ended.code, ended.stderr).toBe(0)
    const { json } = sweepJsonOf(out, "failing")
    const byLookback = new Map(json.trials.map((t) => [t.params["data.lookback"], t]))
    expect(byLookback.get(14)?.state).toBe("complete")
    const failed = byLookback.get(5000)!
    expect(failed.state).toBe("failed")
    // exit 2 (bad input) is the same every time: no retry despite retries: 2
    expect(failed.attempts).toBe(1)
    expect(failed.error).toMatch(/^exit 2: error: /)
    expect(ended.stdout).toContain("1 complete, 1 failed")
  }, 200_000)
})
