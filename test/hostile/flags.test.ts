import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { expectBadInput, pipeline, tinyConfig, workspace } from "./helpers.js"

describe("hostile flags", () => {
  it("--threads above 4 × cores is refused with the reason; --gpu with --device cpu is a contradiction", () => {
    const dir = workspace({ "config.yaml": tinyConfig("{ source: { kind: synthetic, length: 120 }, lookback: 4 }") })
    const file = join(dir, "config.yaml")
    const out = join(dir, "runs")
    const threads = pipeline(["run", file, "--output-dir", out, "--threads", "100000"], { timeoutMs: 30_000 })
    expectBadInput(threads, out, "runtime.threads 100000", "4 × the", "--threads 0")
    const gpu = pipeline(["run", file, "--output-dir", out, "--gpu", "1", "--device", "cpu"])
    expectBadInput(gpu, out, "runtime.gpu 1", "runtime.device cpu")
    expect(gpu.stderr).toContain("contradict")
  })
})
