import { Effect } from "effect"
import type { Redis, RedisOptions } from "ioredis"
import { QueueError } from "./domain.js"

/** host, port and db of a `redis://host:port[/db]` address, or a QueueError saying how to write one. */
export const parseRedisUrl = (url: string): Effect.Effect<{ readonly host: string; readonly port: number; readonly db: number }, QueueError> => {
  const bad = new QueueError({ message: `--queue ${url}: not a Redis address.`, fix: "write --queue redis://host:port or redis://host:port/db, e.g. redis://127.0.0.1:6379" })
  const parsed = URL.canParse(url) ? new URL(url) : null
  if (parsed === null || parsed.protocol !== "redis:" || parsed.hostname === "") return Effect.fail(bad)
  const db = parsed.pathname === "" || parsed.pathname === "/" ? 0 : Number(parsed.pathname.slice(1))
  const port = parsed.port === "" ? 6379 : Number(parsed.port)
  if (!Number.isInteger(db) || db < 0 || !Number.isInteger(port)) return Effect.fail(bad)
  return Effect.succeed({ host: parsed.hostname, port, db })
}

/**
 * Connection options every client uses: commands wait through a Redis restart instead of failing
 * (BullMQ's workers need maxRetriesPerRequest: null), reconnecting every ≤ 1 s.
 */
export const connectionOptions = (url: string) =>
  Effect.map(parseRedisUrl(url), ({ host, port, db }): RedisOptions => ({
    host,
    port,
    db,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(times * 100, 1000)
  }))

/** A Redis client for `url`, closed when the scope ends. */
export const redisClient = (url: string, name: string) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const options = yield* connectionOptions(url)
      const { Redis } = yield* Effect.promise(() => import("ioredis"))
      const client: Redis = new Redis({ ...options, connectionName: `lstm-${name}`, lazyConnect: true })
      // errors while reconnecting are retried by the client; commands wait for the connection
      client.on("error", () => {})
      yield* Effect.tryPromise({
        try: () => client.connect(),
        catch: (e) =>
          new QueueError({
            message: `cannot reach Redis at ${url}: ${e instanceof Error ? e.message : String(e)}`,
            fix: "start it (redis-server --port 6379 --appendonly yes) or check --queue"
          })
      }).pipe(Effect.timeoutFail({
        duration: "10 seconds",
        onTimeout: () => new QueueError({ message: `cannot reach Redis at ${url} within 10 s.`, fix: "start redis-server there or check --queue" })
      }), Effect.tapError(() => Effect.sync(() => client.disconnect())))
      return client
    }),
    (client) => Effect.promise(() => client.quit().catch(() => client.disconnect()))
  )
