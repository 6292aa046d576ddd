import { FileSystem, Path } from "@effect/platform"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { writeFileAtomic } from "../fs/atomic.js"
import { ashaPrunes } from "./asha.js"
import {
  RungRecord,
  SweepStoreError,
  TrialRecord,
  type TrialPatch,
  type TrialSpec,
  waitingRecord
} from "./domain.js"

/** What `sweep status <id>` needs to find a sweep again. */
export const SweepMeta = Schema.Struct({
  id: Schema.String,
  file: Schema.String,
  experiment: Schema.String,
  metric: Schema.String,
  mode: Schema.Literal("min", "max"),
  sweepDir: Schema.String,
  trials: Schema.Int
})
export type SweepMeta = typeof SweepMeta.Type

/** The one store of trial states and rung records, shared by the local and the queued mode. */
export interface TrialStoreApi {
  /** Record the sweep and add its trials that are not there yet as waiting; every record after. */
  readonly register: (meta: SweepMeta, trials: ReadonlyArray<TrialSpec>) => Effect.Effect<ReadonlyArray<TrialRecord>, SweepStoreError>
  readonly meta: (sweep: string) => Effect.Effect<Option.Option<SweepMeta>, SweepStoreError>
  readonly records: (sweep: string) => Effect.Effect<ReadonlyArray<TrialRecord>, SweepStoreError>
  readonly get: (sweep: string, trial: string) => Effect.Effect<Option.Option<TrialRecord>, SweepStoreError>
  readonly update: (sweep: string, trial: string, patch: TrialPatch) => Effect.Effect<void, SweepStoreError>
  /** A training process starts for the trial: running, one more attempt; the record after. */
  readonly start: (sweep: string, trial: string, worker: string) => Effect.Effect<TrialRecord, SweepStoreError>
  /**
   * Atomically: compare `value` with the values recorded at this rung before, record it, and say
   * whether the trial is pruned. A trial already recorded at the rung (a resumed one) continues.
   */
  readonly reportRung: (
    sweep: string,
    trial: string,
    rung: number,
    value: number,
    reductionFactor: number,
    mode: "min" | "max"
  ) => Effect.Effect<boolean, SweepStoreError>
  readonly rungs: (sweep: string) => Effect.Effect<ReadonlyArray<RungRecord>, SweepStoreError>
}

/** The trial store service. */
export class TrialStore extends Context.Tag("lstm/TrialStore")<TrialStore, TrialStoreApi>() {}

/** Everything one sweep keeps: what the file store writes. */
const SweepState = Schema.Struct({
  meta: Schema.NullOr(SweepMeta),
  trials: Schema.Array(TrialRecord),
  rungs: Schema.Array(RungRecord)
})
/** One sweep's records in a local store. */
export type SweepState = { meta: SweepMeta | null; trials: Map<string, TrialRecord>; rungs: Array<RungRecord> }

const now = () => new Date().toISOString()

/**
 * A store held in this process, optionally saved (atomically, after every change) to a file and
 * read back from it when it is made: local sweeps survive a restart and `sweep status` reads it.
 */
export const makeLocalStore = (persist: (sweep: string, state: SweepState) => Effect.Effect<void, SweepStoreError>, initial: Map<string, SweepState>) =>
  Effect.gen(function*() {
    const sweeps = initial
    const lock = yield* Effect.makeSemaphore(1)
    const stateOf = (sweep: string): SweepState => {
      let s = sweeps.get(sweep)
      if (s === undefined) {
        s = { meta: null, trials: new Map(), rungs: [] }
        sweeps.set(sweep, s)
      }
      return s
    }
    // every change runs alone and is saved before the next: the same atomicity as one Redis script
    const change = <A>(sweep: string, f: (s: SweepState) => A) =>
      lock.withPermits(1)(Effect.suspend(() => {
        const s = stateOf(sweep)
        const result = f(s)
        return Effect.as(persist(sweep, s), result)
      }))
    const api: TrialStoreApi = {
      register: (meta, trials) =>
        change(meta.id, (s) => {
          s.meta = meta
          for (const t of trials) if (!s.trials.has(t.id)) s.trials.set(t.id, waitingRecord(t))
          return [...s.trials.values()]
        }),
      meta: (sweep) => Effect.sync(() => Option.fromNullable(sweeps.get(sweep)?.meta ?? null)),
      records: (sweep) => Effect.sync(() => [...(sweeps.get(sweep)?.trials.values() ?? [])]),
      get: (sweep, trial) => Effect.sync(() => Option.fromNullable(sweeps.get(sweep)?.trials.get(trial))),
      update: (sweep, trial, patch) =>
        change(sweep, (s) => {
          const current = s.trials.get(trial)
          if (current !== undefined) s.trials.set(trial, { ...current, ...patch, updated_at: now() })
        }),
      start: (sweep, trial, worker) =>
        change(sweep, (s) => {
          const current = s.trials.get(trial) ?? waitingRecord({ id: trial, params: {} })
          const next: TrialRecord = { ...current, state: "running", attempts: current.attempts + 1, worker, error: null, updated_at: now() }
          s.trials.set(trial, next)
          return next
        }),
      reportRung: (sweep, trial, rung, value, reductionFactor, mode) =>
        change(sweep, (s) => {
          const here = s.rungs.filter((r) => r.rung === rung)
          if (here.some((r) => r.trial === trial)) return false
          const prunes = ashaPrunes(here.map((r) => r.value), value, reductionFactor, mode)
          s.rungs.push({ rung, trial, value })
          return prunes
        }),
      rungs: (sweep) => Effect.sync(() => [...(sweeps.get(sweep)?.rungs ?? [])])
    }
    return api
  })

/** A store in memory only (tests, throw-away sweeps). */
export const layerMemory: Layer.Layer<TrialStore> = Layer.effect(TrialStore, makeLocalStore(() => Effect.void, new Map()))

const storeError = (file: string) => (e: { readonly message: string }) =>
  new SweepStoreError({ message: `${file}: ${e.message}`, fix: "check that the sweep directory is writable; delete the file to start the sweep's bookkeeping afresh" })

/** The trial file of a local sweep. */
export const localStoreFile = (sweepDir: string): string => `${sweepDir}/trials.json`

/** A local store kept in `<sweepDir>/trials.json`, one file per sweep. */
export const layerFile = (sweepDir: string): Layer.Layer<TrialStore, SweepStoreError, FileSystem.FileSystem | Path.Path> =>
  Layer.effect(
    TrialStore,
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const file = localStoreFile(sweepDir)
      const fail = storeError(file)
      const initial = new Map<string, SweepState>()
      if (yield* fs.exists(file).pipe(Effect.mapError(fail))) {
        const text = yield* fs.readFileString(file).pipe(Effect.mapError(fail))
        const decoded = yield* Schema.decodeUnknown(Schema.parseJson(SweepState))(text).pipe(
          Effect.mapError((e) => fail({ message: `not a trial store: ${e.message.split("\n")[0]}` }))
        )
        if (decoded.meta !== null) {
          initial.set(decoded.meta.id, {
            meta: decoded.meta,
            trials: new Map(decoded.trials.map((t) => [t.id, t])),
            rungs: [...decoded.rungs]
          })
        }
      }
      const persist = (_sweep: string, s: SweepState) =>
        Effect.gen(function*() {
          yield* fs.makeDirectory(path.dirname(file), { recursive: true }).pipe(Effect.mapError(fail))
          const encoded = Schema.encodeSync(SweepState)({ meta: s.meta, trials: [...s.trials.values()], rungs: s.rungs })
          yield* writeFileAtomic(file, JSON.stringify(encoded, null, 1) + "\n").pipe(Effect.mapError(fail))
        }).pipe(Effect.provideService(FileSystem.FileSystem, fs), Effect.provideService(Path.Path, path))
      return yield* makeLocalStore(persist, initial)
    })
  )
