import { Command } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { vi } from "vitest"
import { runsCommand } from "../../src/cli/runs.js"
import { compareRuns, listRuns, renderComparison, renderRunList, renderTable } from "../../src/runs/index.js"
import { writeRunFixture } from "../report/fixture.js"

const fixture = () => {
  const out = mkdtempSync(join(tmpdir(), "runs-"))
  writeRunFixture(out, { experiment: "births", run: "units-64", hiddenSize: 64, learningRate: 0.002, testRmse: 288.4 })
  writeRunFixture(out, { experiment: "births", run: "units-32", hiddenSize: 32, learningRate: 0.002, testRmse: 301.7 })
  writeRunFixture(out, { experiment: "births", run: "units-128", hiddenSize: 128, learningRate: 0.001, testRmse: 295.2 })
  writeRunFixture(out, { experiment: "births", run: "crashed", hiddenSize: 16, learningRate: 0.01, testRmse: 0, finished: false, epochs: 3 })
  writeRunFixture(out, { experiment: "births", run: "training-now", hiddenSize: 8, learningRate: 0.01, testRmse: 0, finished: false, epochs: 2, ageMinutes: 0 })
  writeRunFixture(out, { experiment: "sine", run: "baseline", hiddenSize: 32, learningRate: 0.002, testRmse: 0.31 })
  // Not runs: the stage cache and an empty folder.
  mkdirSync(join(out, ".cache", "stages"), { recursive: true })
  mkdirSync(join(out, "births", "empty"), { recursive: true })
  writeFileSync(join(out, "births", "notes.txt"), "not a directory")
  return out
}

/** Run `pipeline runs ...` and capture what it prints. */
const cli = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const spy = vi.spyOn(console, "log").mockImplementation(() => undefined)
    const exit = yield* Effect.exit(Command.run(runsCommand, { name: "pipeline", version: "0.0.0" })(["node", "pipeline", ...args]))
    const printed = spy.mock.calls.map((c) => c.map(String).join(" ")).join("\n")
    spy.mockRestore()
    return { exit, printed }
  })

describe("listRuns", () => {
  it.live("reads every run with summary, config and metrics; unfinished ones are running or incomplete", () =>
    Effect.gen(function*() {
      const out = fixture()
      const runs = yield* listRuns(out)
      // Ordered by experiment, then start time (unfinished runs have none), then name.
      expect(runs.map((r) => `${r.experiment}/${r.run}:${r.status}`)).toEqual([
        "births/crashed:incomplete",
        "births/training-now:running",
        "births/units-32:success",
        "births/units-64:success",
        "births/units-128:success",
        "sine/baseline:success"
      ])
      const u32 = runs.find((r) => r.run === "units-32")!
      expect(u32.metrics["test.rmse"]).toBe(301.7)
      expect(u32.metrics["baselines.test.seasonal_naive.rmse"]).toBe(612.4)
      expect(u32.metrics["val.loss"]).toBeCloseTo(0.2 + 301.7 / 10000)
      expect(u32.hparams["model.hidden_size"]).toBe(32)
      expect(u32.hparams["train.schedule.kind"]).toBe("reduce_on_plateau")
      expect(u32.epochsCompleted).toBe(8)
      expect(u32.bestEpoch).toBe(5)
      const crashed = runs.find((r) => r.run === "crashed")!
      expect(crashed.epochsCompleted).toBe(3)
      expect(crashed.metrics["test.rmse"]).toBeUndefined()

      const sine = yield* listRuns(out, { experiment: "sine" })
      expect(sine.map((r) => r.run)).toEqual(["baseline"])
      const missing = yield* Effect.exit(listRuns(out, { experiment: "nope" }))
      expect(Exit.isFailure(missing)).toBe(true)
    }).pipe(Effect.provide(NodeContext.layer)))
})

describe("compareRuns", () => {
  it.live("sorts by a metric, keeps only differing hyperparameters and marks the best", () =>
    Effect.gen(function*() {
      const out = fixture()
      const runs = (yield* listRuns(out, { experiment: "births" })).filter((r) => r.status === "success")
      const comparison = compareRuns(runs, { sort: "test.rmse" })
      expect(comparison.runs.map((r) => r.run)).toEqual(["units-64", "units-128", "units-32"])
      expect(comparison.differing).toEqual(["model.hidden_size", "train.learning_rate"])
      expect(comparison.metrics.slice(0, 3)).toEqual(["test.rmse", "test.mae", "test.mse"])
      expect(comparison.metrics).toContain("val.loss")
      expect(compareRuns(runs, { sort: "-test.rmse" }).runs.map((r) => r.run)).toEqual(["units-32", "units-128", "units-64"])
      expect(compareRuns(runs, { sort: "model.hidden_size" }).runs.map((r) => r.run)).toEqual(["units-32", "units-64", "units-128"])
      // Runs without the sort value go last.
      const all = yield* listRuns(out, { experiment: "births" })
      expect(compareRuns(all).runs.slice(-2).map((r) => r.run).sort()).toEqual(["crashed", "training-now"])

      const text = renderComparison(comparison)
      const lines = text.split("\n")
      expect(lines[0]).toMatch(/^\s+units-64\s+units-128\s+units-32$/)
      expect(text).toMatch(/^model\.hidden_size\s+64\s+128\s+32$/m)
      expect(text).toMatch(/^test\.rmse\s+288\.4\*\s+295\.2\s+301\.7$/m)
      expect(text).toMatch(/^test\.r2\s+0\.9712\*\s+0\.9705\s+0\.9698$/m)
      expect(text).not.toMatch(/^data\.lookback/m)
      expect(text).toContain("sorted by test.rmse")
    }).pipe(Effect.provide(NodeContext.layer)))

  it("renders aligned plain-text tables", () => {
    const text = renderTable(["name", "rmse"], [["a", "1.5"], ["long-name", "12.25"]])
    expect(text.split("\n")).toEqual([
      "name        rmse",
      "---------  -----",
      "a            1.5",
      "long-name  12.25"
    ])
    expect(renderRunList([])).toBe("no runs")
  })
})

describe("runs command", () => {
  it.live("ls prints one aligned row per run", () =>
    Effect.gen(function*() {
      const out = fixture()
      const { exit, printed } = yield* cli(["ls", "--output-dir", out, "--experiment", "births"])
      expect(Exit.isSuccess(exit)).toBe(true)
      const lines = printed.split("\n")
      expect(lines[0]).toMatch(/^experiment\s+run\s+status\s+epochs\s+best\s+val\.loss\s+val\.rmse\s+test\.rmse/)
      expect(lines).toHaveLength(2 + 5)
      expect(printed).toMatch(/^births\s+units-32\s+success\s+8\s+5\s+0\.2302\s+271\.5\s+301\.7\s+226\.3\s+61\.3\s+2024-05-01T10:02:00Z$/m)
      expect(printed).toMatch(/^births\s+crashed\s+incomplete\s+3\s+—/m)
      const columnStarts = lines.filter((l) => !l.startsWith("-")).map((l) => l.indexOf(l.split(/\s+/)[1]!))
      expect(new Set(columnStarts).size).toBe(1)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.live("compare takes run directories or an experiment, with --sort", () =>
    Effect.gen(function*() {
      const out = fixture()
      const dirs = ["units-32", "units-64"].map((r) => join(out, "births", r))
      const byDirs = yield* cli(["compare", "--sort", "-test.rmse", ...dirs])
      expect(Exit.isSuccess(byDirs.exit)).toBe(true)
      expect(byDirs.printed.split("\n")[0]).toMatch(/^\s+units-32\s+units-64$/)
      expect(byDirs.printed).toMatch(/^model\.hidden_size\s+32\s+64$/m)
      expect(byDirs.printed).not.toMatch(/^train\.learning_rate/m)

      const byExperiment = yield* cli(["compare", "--experiment", "births", "--output-dir", out])
      expect(byExperiment.printed.split("\n")[0]).toMatch(/^\s+units-64\s+units-128\s+units-32\s+\S+\s+\S+$/)

      const notARun = yield* cli(["compare", join(out, "births", "empty")])
      expect(Exit.isFailure(notARun.exit)).toBe(true)
    }).pipe(Effect.provide(NodeContext.layer)))
})

describe("runs after failed and damaged runs", () => {
  it.live("a failed run's `metrics: null` is a row like any other; an unreadable summary costs only its own row", () =>
    Effect.gen(function*() {
      const out = fixture()
      const failed = writeRunFixture(out, { experiment: "births", run: "failed", hiddenSize: 4, learningRate: 0.1, testRmse: 0 })
      const summary = JSON.parse(readFileSync(join(failed, "summary.json"), "utf8"))
      writeFileSync(join(failed, "summary.json"), JSON.stringify({ ...summary, status: "failed", metrics: null }))
      const damaged = writeRunFixture(out, { experiment: "births", run: "damaged", hiddenSize: 4, learningRate: 0.1, testRmse: 0 })
      writeFileSync(join(damaged, "summary.json"), '{"status": "succ')
      const runs = yield* listRuns(out)
      expect(runs).toHaveLength(8)
      expect(runs.find((r) => r.run === "failed")?.status).toBe("failed")
      const row = runs.find((r) => r.run === "damaged")!
      expect(row.status).toBe("unreadable")
      expect(row.problem).toContain(join(damaged, "summary.json"))
      const listing = renderRunList(runs)
      expect(listing).toContain("unreadable:")
      expect(listing).toContain("units-64")
      const compared = yield* cli(["compare", "--experiment", "births", "--output-dir", out])
      expect(Exit.isSuccess(compared.exit)).toBe(true)
      expect(compared.printed).toContain("damaged")
    }).pipe(Effect.provide(NodeContext.layer)))
})
