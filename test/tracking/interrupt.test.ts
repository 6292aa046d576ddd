import { existsSync, readFileSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { checkpointNames, fixture, requireBuild, runArgs, start, tempDir, waitUntil } from "../resume/harness.js"

// a tracking server that accepts every connection and never answers
let server: Server
let url = ""

beforeAll(async () => {
  requireBuild()
  server = createServer(() => undefined)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

describe("Ctrl-C with an MLflow server that never answers", () => {
  it("exits 130 within seconds, says which backend it waits for and what was not delivered; a second Ctrl-C tells the truth", async () => {
    process.env.MLFLOW_TRACKING_URI = url
    const out = tempDir("mlflow-hang")
    const proc = start(runArgs(fixture("kill.yaml"), out, "r", ["--set", "tracking.trackers=[jsonl,mlflow]"]))
    const runDir = join(out, "resume", "r")
    expect(await waitUntil(() => checkpointNames(runDir).length > 0, 40_000, proc.exited), proc.stderr()).toBe(true)
    const sentAt = performance.now()
    proc.child.kill("SIGINT")
    // once it waits on the server, the checkpoint is long written
    expect(await waitUntil(() => proc.stderr().includes("waiting for mlflow"), 20_000, proc.exited), proc.stderr()).toBe(true)
    proc.child.kill("SIGINT")
    const ended = await proc.ended
    const seconds = (performance.now() - sentAt) / 1000
    console.log(`SIGINT → exit with a hanging MLflow: ${seconds.toFixed(2)} s`)
    expect(ended.code, ended.stderr).toBe(130)
    // the flush is bounded by 2 s; the request timeout (10 s) or the old close timeout (15 s) would show
    expect(seconds).toBeLessThan(9)
    expect(ended.stderr).toMatch(/tracking: waiting for mlflow to take \d+ point\(s\) \(at most 2 s\)/)
    expect(ended.stderr).toMatch(/SIGINT again: sending \d+ tracking point\(s\) to mlflow/)
    expect(ended.stderr).not.toContain("still writing the checkpoint")
    const undelivered = /tracking: mlflow: (\d+) point\(s\) not delivered and the final status not sent; kept in (\S+)/.exec(ended.stderr)
    expect(undelivered, ended.stderr).not.toBeNull()
    expect(Number(undelivered![1])).toBeGreaterThan(0)
    expect(existsSync(join(runDir, "tracking", "spool", "mlflow.jsonl"))).toBe(true)
    const summary = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8"))
    expect(summary.status).toBe("interrupted")
    expect(summary.tracking.mlflow).toEqual({ delivered: 0, spooled: Number(undelivered![1]), dropped: 0 })
  }, 90_000)
})
