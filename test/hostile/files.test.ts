import { execFileSync } from "node:child_process"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { csvData, expectBadInput, pipeline, tinyConfig, workspace } from "./helpers.js"

describe("hostile paths", () => {
  it("a FIFO, /dev/zero or a directory as config or data is refused at once, not read forever", () => {
    const dir = workspace({})
    execFileSync("mkfifo", [join(dir, "pipe.yaml")])
    execFileSync("mkfifo", [join(dir, "pipe.csv")])
    const out = join(dir, "runs")
    const options = { timeoutMs: 30_000 }
    expectBadInput(pipeline(["run", join(dir, "pipe.yaml"), "--output-dir", out], options), out, "named pipe (FIFO)")
    expectBadInput(pipeline(["run", "/dev/zero", "--output-dir", out], options), out, "character device")
    expectBadInput(pipeline(["run", dir, "--output-dir", out], options), out, "a directory, not a config file")
    for (const [data, what] of [[join(dir, "pipe.csv"), "named pipe"], ["/dev/zero", "character device"], [dir, "a directory"]] as const) {
      const config = workspace({ "config.yaml": tinyConfig(csvData(data)) })
      const result = pipeline(["run", join(config, "config.yaml"), "--output-dir", out], options)
      expectBadInput(result, out, "data.source.path", what)
    }
  })

  it("an output directory that cannot be created fails at once with a clear error", () => {
    const dir = workspace({ "config.yaml": tinyConfig("{ source: { kind: synthetic, length: 120 }, lookback: 4 }") })
    const result = pipeline(["run", join(dir, "config.yaml"), "--output-dir", "/proc/forbidden/runs"], { timeoutMs: 30_000 })
    expectBadInput(result, null, "/proc/forbidden/runs", "--output-dir")
    expect(result.code).not.toBeNull()
  })
})
