import { spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { checkpointNames, checkpointProblem, requireBuild, root, run, runArgs, start, summaryOf, tempDir, waitUntil } from "../../resume/harness.js"
import { checkAdapter } from "./adapter.js"

const gpu = await checkAdapter("webgpu pipeline runs")
const config = join(root, "test", "fixtures", "webgpu", "small.yaml")
const runDirOf = (out: string) => join(out, "webgpu", "r")
const webgpu = ["--device", "webgpu"]
const resumeIfStarted = (runDir: string) => (existsSync(runDir) ? ["--resume", "last"] : [])

/** An uninterrupted `--device webgpu` run: its summary's weights sha256. */
const uninterrupted = async (label: string) => {
  const out = tempDir(label)
  const ended = await run(runArgs(config, out, "r", webgpu))
  expect(ended.code, ended.stderr).toBe(0)
  expect(ended.stderr).toContain("device: webgpu (fused WGSL engine")
  return { out, sha: summaryOf(runDirOf(out)).weights_sha256 ?? "" }
}

/** A run in `out` whose device is destroyed after its 5th step (checkpoints every 3) (fault injection through the environment). */
const runLosingDevice = async (out: string) => {
  const child = spawn(process.execPath, ["--experimental-wasm-relaxed-simd", "--no-warnings", join(root, "dist", "bin.js"), ...runArgs(config, out, "r", webgpu)], {
    cwd: root,
    env: { ...process.env, LSTM_WEBGPU_LOSE_DEVICE_AFTER: "5" },
    stdio: ["ignore", "ignore", "pipe"]
  })
  let stderr = ""
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>((res) => child.on("close", res))
  return { code, stderr }
}

describe.skipIf(!gpu.ok)(`pipeline run --device webgpu on ${gpu.reason}`, () => {
  let reference = { out: "", sha: "" }
  beforeAll(async () => {
    requireBuild()
    reference = await uninterrupted("webgpu-ref")
    expect(reference.sha).toMatch(/^[0-9a-f]{64}$/)
  }, 120_000)

  it("trains end to end on the WGSL engine, bit-identically run to run", async () => {
    const again = await uninterrupted("webgpu-again")
    expect(again.sha).toBe(reference.sha)
    const summary = JSON.parse(readFileSync(join(runDirOf(again.out), "summary.json"), "utf8")) as { engine: string; status: string }
    expect(summary).toMatchObject({ engine: "webgpu", status: "success" })
  }, 120_000)

  it("kill -9 during training, then --resume last, ends bit-identical to the uninterrupted run", async () => {
    const out = tempDir("webgpu-kill")
    const runDir = runDirOf(out)
    for (const delay of [300, 700]) {
      const proc = start(runArgs(config, out, "r", [...webgpu, ...resumeIfStarted(runDir)]))
      await waitUntil(() => proc.stderr().includes("device: webgpu"), 60_000, proc.exited)
      const timer = setTimeout(() => proc.child.kill("SIGKILL"), delay)
      const ended = await proc.ended
      clearTimeout(timer)
      if (ended.code === 0) break
      expect(ended.signal, ended.stderr).toBe("SIGKILL")
    }
    const last = await run(runArgs(config, out, "r", [...webgpu, ...resumeIfStarted(runDir)]))
    expect(last.code, last.stderr).toBe(0)
    expect(summaryOf(runDir).weights_sha256).toBe(reference.sha)
  }, 180_000)

  it("a lost device stops training with a clear error, keeps the checkpoints intact, and --resume finishes the run", async () => {
    const out = tempDir("webgpu-lost")
    const runDir = runDirOf(out)
    const ended = await runLosingDevice(out)
    expect(ended.code, ended.stderr).toBe(1)
    expect(ended.stderr).toContain("GPU device was lost")
    expect(ended.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
    const names = checkpointNames(runDir)
    expect(names.length).toBeGreaterThan(0)
    for (const name of names) expect(checkpointProblem(join(runDir, "checkpoints", name)), name).toBeNull()
    const resumed = await run(runArgs(config, out, "r", [...webgpu, "--resume", "last"]))
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(summaryOf(runDir).weights_sha256).toBe(reference.sha)
  }, 180_000)
})
