import { Effect, Layer, Option, Schema } from "effect"
import type { Redis } from "ioredis"
import { RungRecord, SweepStoreError, TrialRecord, type TrialPatch, type TrialSpec, waitingRecord } from "./domain.js"
import { redisClient } from "./redis.js"
import { SweepMeta, TrialStore, type TrialStoreApi } from "./TrialStore.js"

// Keys of one sweep: lstm:sweep:<id>:meta (JSON), :ids (list of trial ids in order),
// :trial:<trial> (a hash, one JSON value per record field), :rungs (set of rung epochs),
// :rung:<epoch> (a hash trial → value).
const key = (sweep: string, ...parts: ReadonlyArray<string | number>) => ["lstm:sweep", sweep, ...parts].join(":")

/** Create a trial's hash and list it, unless it exists: one script, so two submitters cannot both add it. */
const registerScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 2))
  redis.call('RPUSH', KEYS[2], ARGV[1])
end
return 1`

/**
 * ASHA's rung update as one script: skip a trial already recorded here; else compute the cutoff
 * (the (1 - 1/rf) quantile of the scores recorded before, linear interpolation), record the value,
 * and return 1 when the trial is outside the top 1/rf. Mirrors ashaPrunes in asha.ts.
 */
const rungScript = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
local recorded = redis.call('HVALS', KEYS[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[5])
if #recorded == 0 then return 0 end
local sign = 1
if ARGV[4] == 'min' then sign = -1 end
local scores = {}
for i, v in ipairs(recorded) do scores[i] = sign * tonumber(v) end
table.sort(scores)
local rank = (1 - 1 / tonumber(ARGV[3])) * (#scores - 1)
local lo = math.floor(rank)
local hi = math.ceil(rank)
local cutoff = scores[lo + 1] + (scores[hi + 1] - scores[lo + 1]) * (rank - lo)
if sign * tonumber(ARGV[2]) < cutoff then return 1 end
return 0`

const fieldsOf = (record: Partial<TrialRecord>): Array<string> =>
  Object.entries(record).flatMap(([k, v]) => (v === undefined ? [] : [k, JSON.stringify(v)]))

const decodeRecord = Schema.decodeUnknown(TrialRecord)

/** A trial store on Redis: each change is one command or one script, so any number of workers share it safely. */
export const makeRedisStore = (redis: Redis, url: string): TrialStoreApi => {
  const fail = (what: string) => (e: unknown) =>
    new SweepStoreError({
      message: `redis ${url}: ${what}: ${e instanceof Error ? e.message : String(e)}`,
      fix: "check that redis-server is running and reachable at that address"
    })
  const call = <A>(what: string, f: () => Promise<A>) => Effect.tryPromise({ try: f, catch: fail(what) })
  const read = (sweep: string, trial: string) =>
    Effect.gen(function*() {
      const hash = yield* call("read a trial", () => redis.hgetall(key(sweep, "trial", trial)))
      if (Object.keys(hash).length === 0) return Option.none<TrialRecord>()
      const raw = Object.fromEntries(Object.entries(hash).map(([k, v]) => [k, JSON.parse(v) as unknown]))
      return Option.some(yield* decodeRecord(raw).pipe(Effect.mapError(fail(`trial ${trial} is not a trial record`))))
    })
  const records = (sweep: string) =>
    Effect.gen(function*() {
      const ids = yield* call("list trials", () => redis.lrange(key(sweep, "ids"), 0, -1))
      const all = yield* Effect.forEach(ids, (id) => read(sweep, id))
      return all.flatMap(Option.toArray)
    })
  return {
    register: (meta: SweepMeta, trials: ReadonlyArray<TrialSpec>) =>
      Effect.gen(function*() {
        yield* call("write the sweep", () => redis.set(key(meta.id, "meta"), JSON.stringify(Schema.encodeSync(SweepMeta)(meta))))
        for (const t of trials) {
          const record = Schema.encodeSync(TrialRecord)(waitingRecord(t))
          yield* call("register a trial", () =>
            redis.eval(registerScript, 2, key(meta.id, "trial", t.id), key(meta.id, "ids"), t.id, ...fieldsOf(record)))
        }
        return yield* records(meta.id)
      }),
    meta: (sweep) =>
      Effect.gen(function*() {
        const text = yield* call("read the sweep", () => redis.get(key(sweep, "meta")))
        if (text === null) return Option.none()
        return Option.some(yield* Schema.decodeUnknown(Schema.parseJson(SweepMeta))(text).pipe(Effect.mapError(fail("the sweep record"))))
      }),
    records,
    get: read,
    update: (sweep, trial, patch: TrialPatch) =>
      call("update a trial", () =>
        redis.hset(key(sweep, "trial", trial), ...fieldsOf({ ...patch, updated_at: new Date().toISOString() }))).pipe(Effect.asVoid),
    start: (sweep, trial, worker) =>
      Effect.gen(function*() {
        const k = key(sweep, "trial", trial)
        yield* call("start a trial", () =>
          redis.multi().hincrby(k, "attempts", 1).hset(k, ...fieldsOf({ state: "running", worker, error: null, updated_at: new Date().toISOString() })).exec())
        const record = yield* read(sweep, trial)
        return yield* Option.match(record, {
          onNone: () => Effect.fail(fail("start a trial")(`trial ${trial} is not registered`)),
          onSome: Effect.succeed
        })
      }),
    reportRung: (sweep, trial, rung, value, reductionFactor, mode) =>
      call("record a rung", () =>
        redis.eval(rungScript, 2, key(sweep, "rung", rung), key(sweep, "rungs"), trial, String(value), String(reductionFactor), mode, String(rung))).pipe(
          Effect.map((r) => r === 1)
        ),
    rungs: (sweep) =>
      Effect.gen(function*() {
        const rungs = yield* call("list rungs", () => redis.smembers(key(sweep, "rungs")))
        const out: Array<RungRecord> = []
        for (const rung of rungs.map(Number).sort((a, b) => a - b)) {
          const hash = yield* call("read a rung", () => redis.hgetall(key(sweep, "rung", rung)))
          for (const [t, v] of Object.entries(hash)) out.push({ rung, trial: t, value: Number(v) })
        }
        return out
      })
  }
}

/** The trial store on the Redis at `url` (redis://host:port[/db]); the connection lives in the layer's scope. */
export const layerRedis = (url: string) => Layer.scoped(TrialStore, Effect.map(redisClient(url, "store"), (redis) => makeRedisStore(redis, url)))
