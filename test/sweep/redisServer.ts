/** A real redis-server for the sweep tests: on a free loopback port, in a temporary directory, stopped by the test. */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** Why the Redis tests cannot run here (no redis-server), or null when they can. */
export const redisMissing = (): string | null => {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" })
  return probe.error === undefined && probe.status === 0 ? null : "redis-server is not installed (apt-get install redis-server)"
}

/** CI sets LSTM_REQUIRE_REDIS=1: a missing redis-server is then a failure, not a skip. */
export const redisRequired = (): boolean => process.env["LSTM_REQUIRE_REDIS"] === "1"

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const ping = async (port: number): Promise<boolean> => {
  const { Redis } = await import("ioredis")
  const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on("error", () => {})
  try {
    await client.connect()
    return (await client.ping()) === "PONG"
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

/** A running redis-server: its address, and stop/start to restart it on the same port and data. */
export interface RedisServer {
  readonly url: string
  readonly port: number
  readonly dir: string
  readonly stop: () => Promise<void>
  readonly start: () => Promise<void>
}

/** Start redis-server with appendonly on (every write fsynced), bound to 127.0.0.1 only. */
export const startRedis = async (): Promise<RedisServer> => {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), "lstm-sweep-redis-"))
  let child: ChildProcess | null = null
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always", "--save", ""], {
      stdio: "ignore"
    })
    for (let i = 0; i < 200; i++) {
      if (await ping(port)) return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`redis-server did not answer on port ${port}`)
  }
  const stop = async () => {
    const c = child
    if (c === null || c.exitCode !== null) return
    const exited = new Promise((r) => c.once("exit", r))
    c.kill("SIGTERM")
    await exited
    child = null
  }
  await start()
  return { url: `redis://127.0.0.1:${port}`, port, dir, stop, start }
}
