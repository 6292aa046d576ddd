import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { expectBadInput, pipeline, tinyConfig, workspace } from "./helpers.js"

const synthetic = "{ source: { kind: synthetic, length: 120 }, lookback: 4 }"

describe("hostile config input", () => {
  it("a YAML alias bomb is a ConfigError naming the file, not an internal error", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for (const [i, name] of ["b", "c", "d", "e", "f", "g"].entries()) {
      const previous = "abcdefg"[i]!
      levels.push(`${name}: &${name} [${Array.from({ length: 9 }, () => `*${previous}`).join(", ")}]`)
    }
    const dir = workspace({ "bomb.yaml": levels.join("\n") + "\n" })
    const result = pipeline(["run", join(dir, "bomb.yaml"), "--output-dir", join(dir, "runs")])
    expectBadInput(result, join(dir, "runs"), "bomb.yaml", "alias")
  })

  it("rules read as rules, a foreign file is one message, an over-long run name is one message", () => {
    const dir = workspace({ "config.yaml": tinyConfig(synthetic) })
    const file = join(dir, "config.yaml")
    const out = join(dir, "runs")
    const horizon = pipeline(["run", file, "--output-dir", out, "--set", "data.horizon=0"])
    expectBadInput(horizon, out, "data.horizon", "at least 1, got 0")
    expect(horizon.stderr).not.toContain("Expected How many")

    const foreign = workspace({ "status.yaml": Array.from({ length: 40 }, (_, i) => `Key${i}: ${i}`).join("\n") + "\n" })
    const proc = pipeline(["run", join(foreign, "status.yaml"), "--output-dir", out])
    expectBadInput(proc, out, "is not an lstm-pipeline config")
    expect(proc.stderr.split("\n").filter((l) => l.includes("unknown key"))).toHaveLength(0)
    expect(proc.stderr.trim().split("\n").length).toBeLessThanOrEqual(2)

    const long = pipeline(["run", file, "--output-dir", out, "--run-name", "r".repeat(300)])
    expectBadInput(long, out, "run_name", "at most 128 characters")
    expect(long.stderr.trim().split("\n").length).toBeLessThanOrEqual(2)
  })
})
