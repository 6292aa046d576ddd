import { Effect } from "effect"
import { Redis } from "ioredis"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeLocalStore } from "../../src/sweep/TrialStore.js"
import type { TrialRecord } from "../../src/sweep/domain.js"
import { makeRedisStore } from "../../src/sweep/redisStore.js"
import { requireBuild, root, run, type Running, start, summaryOf, tempDir, waitUntil } from "../resume/harness.js"
import { pidAlive, processesWith } from "./processes.js"
import { redisMissing, redisRequired, type RedisServer, startRedis } from "./redisServer.js"

const missing = redisMissing()
if (missing !== null) {
  if (redisRequired()) throw new Error(`LSTM_REQUIRE_REDIS=1 but ${missing}`)
  console.log(`skipping the queue tests: ${missing}`)
}

const fixture = (name: string) => join(root, "test", "fixtures", "sweep", name)

let redis: RedisServer
let client: Redis
const workers: Array<Running> = []

beforeAll(async () => {
  if (missing !== null) return
  requireBuild()
  redis = await startRedis()
  client = new Redis({ host: "127.0.0.1", port: redis.port, maxRetriesPerRequest: null })
  client.on("error", () => {})
}, 30_000)

afterAll(async () => {
  for (const w of workers) if (!w.exited()) w.child.kill("SIGKILL")
  client?.disconnect()
  await redis?.stop()
})

const startWorker = (lease: number): Running => {
  const w = start(["worker", "--queue", redis.url, "--lease-seconds", String(lease)])
  workers.push(w)
  return w
}

const stopWorkers = async (list: ReadonlyArray<Running>) => {
  for (const w of list) if (!w.exited()) w.child.kill("SIGTERM")
  await Promise.all(list.map((w) => w.ended))
}

const store = () => makeRedisStore(client, redis.url)
const records = (sweep: string): Promise<ReadonlyArray<TrialRecord>> => Effect.runPromise(store().records(sweep))
const sweepIdIn = (stdout: string): string => /sweep (\S+?):/.exec(stdout)?.[1] ?? ""

/** Everything a process writes to stdout from now on. */
const capture = (r: Running): (() => string) => {
  let text = ""
  r.child.stdout?.on("data", (d: Buffer) => (text += d.toString()))
  return () => text
}

describe.skipIf(missing !== null)("pipeline sweep --queue with pipeline worker (BullMQ on a real Redis)", () => {
  it("rung records on Redis decide exactly as the local store", async () => {
    const local = await Effect.runPromise(makeLocalStore(() => Effect.void, new Map()))
    const remote = store()
    let seed = 11
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    for (let i = 0; i < 40; i++) {
      const rung = 1 + Math.floor(next() * 3)
      const value = Number((next() * 10).toFixed(3))
      const rf = i % 2 === 0 ? 2 : 3
      const mode = i % 3 === 0 ? "max" : "min"
      const trial = `t${Math.floor(next() * 25)}`
      const a = await Effect.runPromise(local.reportRung("lua", trial, rung, value, rf, mode))
      const b = await Effect.runPromise(remote.reportRung("lua", trial, rung, value, rf, mode))
      expect(b, `report ${i}: ${trial} rung ${rung} value ${value}`).toBe(a)
    }
    const sort = (rs: ReadonlyArray<{ rung: number; trial: string; value: number }>) =>
      [...rs].sort((x, y) => x.rung - y.rung || x.trial.localeCompare(y.trial))
    expect(sort(await Effect.runPromise(remote.rungs("lua")))).toEqual(sort(await Effect.runPromise(local.rungs("lua"))))
  })

  it("2 workers run the 8-trial grid, each trial once; re-submitting starts nothing", async () => {
    const out = tempDir("sweep-queue")
    const pool = [startWorker(10), startWorker(10)]
    const args = ["sweep", fixture("grid8.yaml"), "--queue", redis.url, "--threads", "1", "--output-dir", out]
    const first = await run(args)
    expect(first.code, first.stderr).toBe(0)
    const id = sweepIdIn(first.stdout)
    const done = await records(id)
    expect(done).toHaveLength(8)
    for (const r of done) {
      expect(r.state).toBe("complete")
      expect(r.attempts).toBe(1)
    }
    const compare = await run(["runs", "compare", "--experiment", "grid8", "--output-dir", out])
    for (const r of done) expect(compare.stdout).toContain(r.id)

    const jobsBefore = await client.keys("bull:lstm-trials:*.t-????????????")
    const again = await run(args)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain("8 trials already complete")
    expect(await client.keys("bull:lstm-trials:*.t-????????????")).toHaveLength(jobsBefore.length)
    expect((await records(id)).map((r) => r.attempts)).toEqual(done.map(() => 1))
    await stopWorkers(pool)
    const logs = (await Promise.all(pool.map((w) => w.ended))).map((e) => e.stdout)
    const started = logs.flatMap((l) => l.split("\n").filter((line) => line.endsWith(": start")))
    expect(started).toHaveLength(8)
    expect(logs.every((l) => l.includes(": start")), logs.join("\n---\n")).toBe(true)
  }, 400_000)

  it("kill -9 of a worker mid-trial: its trial process exits, another worker resumes it to the uninterrupted weights", async () => {
    const out = tempDir("sweep-kill")
    const refOut = tempDir("sweep-kill-ref")
    const pool = [startWorker(3), startWorker(3)]
    const submitter = start(["sweep", fixture("slow1.yaml"), "--queue", redis.url, "--output-dir", out])
    const reference = run(["run", fixture("slow.yaml"), "--no-progress", "--experiment", "takeover", "--run-name", "ref", "--output-dir", refOut, "--set", "train.learning_rate=0.002"])
    const stdout = capture(submitter)
    let victim: TrialRecord | undefined
    await waitUntil(() => sweepIdIn(stdout()) !== "", 30_000)
    const id = sweepIdIn(stdout())
    // wait for the trial with a complete checkpoint (at least one epoch done), then kill its worker
    const deadline = Date.now() + 200_000
    while (Date.now() < deadline && victim === undefined) {
      for (const r of await records(id)) {
        if (r.state !== "running" || r.worker === null || r.params["train.learning_rate"] !== 0.002) continue
        const ckpt = join(out, "takeover", r.id, "checkpoints")
        if (existsSync(ckpt) && readdirSync(ckpt).some((n) => existsSync(join(ckpt, n, "DONE")))) victim = r
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(victim, "no trial reached a checkpoint").toBeDefined()
    const workerPid = Number(victim!.worker!.split(":").at(-1))
    const children = processesWith(victim!.id).filter((p) => p !== workerPid)
    expect(children.length).toBeGreaterThan(0)
    const killedAt = Date.now()
    process.kill(workerPid, "SIGKILL")
    const gone = await waitUntil(() => children.every((p) => !pidAlive(p)), 25_000)
    const orphanSeconds = (Date.now() - killedAt) / 1000
    console.log(`trial process exited ${orphanSeconds.toFixed(1)} s after its worker was killed`)
    expect(gone, "the trial process outlived its worker").toBe(true)

    const ended = await submitter.ended
    expect(ended.code, ended.stderr).toBe(0)
    const after = (await records(id)).find((r) => r.id === victim!.id)!
    expect(after.state).toBe("complete")
    expect(after.attempts).toBe(2)
    expect(after.resumed).toBe(true)
    const summary = summaryOf(join(out, "takeover", victim!.id))
    expect(summary.resumed_from).not.toBeNull()
    const ref = await reference
    expect(ref.code, ref.stderr).toBe(0)
    expect(summary.weights_sha256).toBe(summaryOf(join(refOut, "takeover", "ref")).weights_sha256)
    await stopWorkers(pool)
  }, 400_000)

  it("Redis restarted (appendonly on) mid-sweep: the sweep completes", async () => {
    const out = tempDir("sweep-restart")
    const pool = [startWorker(15), startWorker(15)]
    const submitter = start(["sweep", fixture("grid4.yaml"), "--queue", redis.url, "--threads", "1", "--output-dir", out])
    const stdout = capture(submitter)
    await waitUntil(() => sweepIdIn(stdout()) !== "", 30_000)
    const id = sweepIdIn(stdout())
    await waitUntil(() => stdout().includes("complete: val.rmse"), 90_000)
    client.disconnect()
    await redis.stop()
    await new Promise((r) => setTimeout(r, 1000))
    await redis.start()
    await client.connect()
    const ended = await submitter.ended
    expect(ended.code, ended.stderr).toBe(0)
    const done = await records(id)
    expect(done.map((r) => r.state)).toEqual(["complete", "complete", "complete", "complete"])
    await stopWorkers(pool)
  }, 400_000)
})
