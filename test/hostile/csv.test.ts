import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { csvData, expectBadInput, numericCsv, pipeline, tinyConfig, workspace } from "./helpers.js"

/** Runs a tiny config over `csv` (written as data.csv next to it). */
const runOn = (csv: string | Uint8Array, extra = "", flags: ReadonlyArray<string> = []) => {
  const dir = workspace({ "data.csv": csv, "config.yaml": tinyConfig(csvData("data.csv", extra)) })
  const out = join(dir, "runs")
  return { out, result: pipeline(["run", join(dir, "config.yaml"), "--output-dir", out, "--no-progress", ...flags]) }
}

const rows = (count: number, cell: (i: number) => string) =>
  ["t,y", ...Array.from({ length: count }, (_, i) => `${i},${cell(i)}`)].join("\n") + "\n"

describe("hostile CSV input", () => {
  it("values a float32 cannot hold are bad input naming row and column, not a useless model or 'diverged'", () => {
    const huge = runOn(rows(80, (i) => (i % 2 === 0 ? "1e308" : "-1e308")))
    expectBadInput(huge.result, huge.out, "Row 2 of", "column 'y'", "32-bit float")
    const infinite = runOn(rows(80, (i) => (i === 40 ? "1e309" : String(10 + (i % 7)))))
    expectBadInput(infinite.result, infinite.out, "Row 42 of", "'1e309'", "column 'y'")
    expect(infinite.result.stderr).not.toContain("diverged")
  })

  it("a wrong delimiter, a duplicate header and a non-UTF-8 header are each named as such", () => {
    const semicolon = runOn(numericCsv(60, "t;y", ";"))
    expectBadInput(semicolon.result, semicolon.out, 'looks like a ";"-separated file', "data.source.delimiter")
    const duplicate = runOn(numericCsv(60, "t,y,y"))
    expectBadInput(duplicate.result, duplicate.out, "two columns named 'y'")
    const latin1 = Buffer.from(["t,y,café", ...Array.from({ length: 60 }, (_, i) => `${i},${i % 7},1`)].join("\n"), "latin1")
    expectBadInput(runOn(latin1).result, null, "not valid UTF-8", "Re-save")
  })

  it("a constant target is refused; a constant feature is a warning and the report never says NaN%", () => {
    const constant = runOn(rows(80, () => "5"))
    expectBadInput(constant.result, constant.out, "target 'y'", "is 5 on every one of its 80 rows")
    const csv = ["t,y,f", ...Array.from({ length: 80 }, (_, i) => `${i},${(10 + Math.sin(i) * 3).toFixed(4)},1`)].join("\n") + "\n"
    const feature = runOn(csv, ", feature_columns: [f]")
    expect(feature.result.code, feature.result.stderr).toBe(0)
    expect(feature.result.stderr).toContain("warning: feature 'f' is constant (1)")
    expect(feature.result.stdout + feature.result.stderr).not.toContain("NaN")
  })
})
