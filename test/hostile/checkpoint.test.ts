import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { expectBadInput, pipeline, reseal, tinyConfig, workspace } from "./helpers.js"

const DAY = 86_400_000
const lastDay = Date.UTC(9999, 11, 31)

/** 120 daily rows ending on 9999-12-31. */
const lateCsv = (): string =>
  ["t,y", ...Array.from({ length: 120 }, (_, i) => {
    const time = new Date(lastDay - (119 - i) * DAY).toISOString().slice(0, 10)
    return `${time},${(100 + 10 * Math.sin(i)).toFixed(3)}`
  })].join("\n") + "\n"

let config = ""
let out = ""
let runDir = ""
let checkpoint = ""

beforeAll(() => {
  const dir = workspace({
    "late.csv": lateCsv(),
    "config.yaml": tinyConfig("{ source: { kind: csv, path: late.csv, time_column: t, target_column: y }, lookback: 4 }")
  })
  config = join(dir, "config.yaml")
  out = join(dir, "runs")
  const run = pipeline(["run", config, "--output-dir", out, "--no-progress"], { timeoutMs: 120_000 })
  expect(run.code, run.stderr).toBe(0)
  runDir = join(out, "hostile", readdirSync(join(out, "hostile"))[0]!)
  const name = readdirSync(join(runDir, "checkpoints")).find((n) => n.startsWith("epoch-"))!
  checkpoint = join(runDir, "checkpoints", name)
}, 120_000)

/** A copy of the run's checkpoint, changed by `edit` and re-sealed so its hashes match again. */
const tampered = (name: string, edit: (dir: string) => void): string => {
  const dir = join(runDir, "checkpoints", name)
  cpSync(checkpoint, dir, { recursive: true })
  edit(dir)
  reseal(dir)
  return dir
}

describe("hostile checkpoints, predictions and run listings", () => {
  it("predicts past the year 9999 with the date written in full", () => {
    const result = pipeline(["predict", runDir, "--json"])
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout).rows[0].time).toBe("10000-01-01")
  })

  it("a re-sealed checkpoint with a NaN weight or a negative epoch is refused on load, the hint printed once", () => {
    const nan = tampered("nan-weight", (dir) => {
      const weights = readFileSync(join(dir, "weights.bin"))
      weights.writeFloatLE(Number.NaN, 0)
      writeFileSync(join(dir, "weights.bin"), weights)
    })
    const refusedNan = pipeline(["run", config, "--resume", nan, "--output-dir", out, "--no-progress"])
    expectBadInput(refusedNan, null, nan, "NaN")
    expect(refusedNan.stderr.match(/Resume from another checkpoint/g)).toHaveLength(1)

    const negative = tampered("negative-epoch", (dir) => {
      const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8"))
      state.meta.train_state.epoch = -3
      writeFileSync(join(dir, "state.json"), JSON.stringify(state, null, 2) + "\n")
    })
    expectBadInput(pipeline(["run", config, "--resume", negative, "--output-dir", out, "--no-progress"]), null, "train_state.epoch")
  })

  it("runs compare on something that is not a run is bad input with a fix", () => {
    expectBadInput(pipeline(["runs", "compare", join(runDir, "model")]), null, "not a run directory")
  })
})
