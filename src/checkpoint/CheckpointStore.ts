import { FileSystem, Path } from "@effect/platform"
import { Clock, Context, Effect, Either, Layer, Schema } from "effect"
import type { NamedTensor } from "../model/spec.js"
import { recoverLeftovers, removeDirAtomic, writeDirAtomic } from "../fs/atomic.js"
import { type AtomicWriteError, type DirInvalid, errnoOf } from "../fs/errors.js"
import { DONE_FILE, MANIFEST_FILE } from "../fs/manifest.js"
import { readVerifiedFile, verifyDir, type VerifiedDir } from "../fs/verify.js"
import {
  BEST_NAME,
  CheckpointCorrupt,
  type CheckpointKind,
  CheckpointNotFound,
  CheckpointState,
  emergencyName,
  HINT_CORRUPT,
  isBetter,
  OPTIMIZER_FILE,
  parseName,
  periodicName,
  type ScoreMode,
  STATE_FILE,
  WEIGHTS_FILE
} from "./domain.js"
import { planRetention, type RetentionCandidate } from "./retention.js"
import { packTensors, unpackTensors } from "./tensors.js"

/** Where checkpoints live and how many are kept. */
export interface CheckpointStoreOptions {
  /** `<runDir>/checkpoints` */
  readonly dir: string
  /** Newest complete periodic checkpoints to keep (at least 1). */
  readonly keepLast: number
  /** Also keep periodic checkpoints whose epoch is a multiple of this; 0 = off. */
  readonly keepEveryEpochs: number
}

/** Everything needed to continue training exactly. */
export interface SaveRequest {
  readonly kind: CheckpointKind
  /** The epoch the checkpoint completed (or is inside, for a mid-epoch save): `epoch-<epoch>-step-<step>`. */
  readonly epoch: number
  readonly step: number
  /** Training state (counters, schedule, best so far, ...), stored as JSON in state.json. */
  readonly meta: unknown
  readonly tensors: {
    readonly weights: ReadonlyArray<NamedTensor>
    readonly optimizer: ReadonlyArray<NamedTensor>
  }
  /** Validation score; required for "best". */
  readonly score?: number
  readonly mode: ScoreMode
}

/** What `save` did. */
export interface SaveResult {
  readonly path: string
  /** False when a "best" save was refused because the existing best is at least as good. */
  readonly written: boolean
  /** Why it was not written, in words. */
  readonly reason: string | undefined
  /** Checkpoints deleted by retention (paths). */
  readonly removed: ReadonlyArray<string>
}

/** One checkpoint directory as `list` sees it. */
export interface CheckpointInfo {
  readonly path: string
  readonly name: string
  readonly kind: CheckpointKind
  readonly epoch: number | undefined
  readonly step: number | undefined
  readonly score: number | undefined
  readonly status: "intact" | "corrupt"
  /** Why it is corrupt ("weights.bin: size 1200 ≠ 4800 (truncated)"). */
  readonly reason: string | undefined
}

/** A checkpoint chosen by `resolve`, with the corrupt ones skipped on the way. */
export interface ResolvedCheckpoint {
  readonly path: string
  readonly info: CheckpointInfo
  readonly warnings: ReadonlyArray<string>
}

/** A verified checkpoint read back. */
export interface LoadedCheckpoint {
  readonly path: string
  readonly kind: CheckpointKind
  readonly epoch: number
  readonly step: number
  readonly score: number | undefined
  readonly mode: ScoreMode
  readonly savedAt: string
  /** The training loop's state; decode it with its own Schema. */
  readonly meta: unknown
  readonly weights: ReadonlyArray<NamedTensor>
  readonly optimizer: ReadonlyArray<NamedTensor>
}

/** The run's checkpoints. */
export interface CheckpointStoreService {
  readonly dir: string
  /** Writes a checkpoint atomically; periodic saves then apply retention. */
  readonly save: (request: SaveRequest) => Effect.Effect<SaveResult, AtomicWriteError | CheckpointCorrupt>
  /** All checkpoints, oldest step first, each intact or corrupt with a reason. */
  readonly list: Effect.Effect<ReadonlyArray<CheckpointInfo>, CheckpointNotFound>
  /** "last", "best", a checkpoint directory, a checkpoints directory or a run directory. */
  readonly resolve: (ref: string) => Effect.Effect<ResolvedCheckpoint, CheckpointNotFound | CheckpointCorrupt>
  /** Reads a checkpoint, checking every byte against its manifest. */
  readonly load: (path: string) => Effect.Effect<LoadedCheckpoint, CheckpointNotFound | CheckpointCorrupt>
  /** Score of the current best checkpoint, if an intact one exists. */
  readonly bestScore: Effect.Effect<{ readonly score: number; readonly mode: ScoreMode; readonly epoch: number; readonly step: number } | undefined>
}


const readState = (verified: VerifiedDir) =>
  readVerifiedFile(verified, STATE_FILE).pipe(
    Effect.flatMap((bytes) =>
      Schema.decodeUnknown(Schema.parseJson(CheckpointState))(new TextDecoder().decode(bytes)).pipe(
        Effect.mapError(() => `${STATE_FILE}: not a valid checkpoint state`)
      )
    ),
    Effect.mapError((error: DirInvalid | string) => (typeof error === "string" ? error : error.reason))
  )

/** Builds the store over `options.dir`, first repairing what a crash mid-write may have left. */
export const make: (
  options: CheckpointStoreOptions
) => Effect.Effect<CheckpointStoreService, never, FileSystem.FileSystem | Path.Path> = Effect.fn(
  "CheckpointStore.make"
)(function*(options: CheckpointStoreOptions) {
  const context = yield* Effect.context<FileSystem.FileSystem | Path.Path>()
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const { dir } = options

  const recoveries = yield* recoverLeftovers(dir).pipe(
    Effect.catchAll((error) => Effect.as(Effect.logWarning(`checkpoint recovery: ${error.message}`), []))
  )
  for (const recovery of recoveries) {
    if (recovery.restored !== undefined) {
      yield* Effect.logWarning(`${recovery.dir}: restored the previous version after an interrupted write`)
    }
  }

  const inspect = (entryDir: string) =>
    Effect.gen(function*() {
      const verdict = yield* verifyDir(entryDir)
      if (Either.isLeft(verdict)) return Either.left(verdict.left.reason)
      const state = yield* Effect.either(readState(verdict.right))
      return Either.isLeft(state) ? Either.left(state.left) : Either.right({ verified: verdict.right, state: state.right })
    })

  const describe = (entryDir: string) =>
    Effect.gen(function*() {
      const name = path.basename(entryDir)
      const parsed = parseName(name)
      const result = yield* inspect(entryDir)
      if (Either.isRight(result)) {
        const { state } = result.right
        return {
          path: entryDir,
          name,
          kind: parsed?.kind ?? state.kind,
          epoch: state.epoch,
          step: state.step,
          score: state.score ?? undefined,
          status: "intact",
          reason: undefined
        } satisfies CheckpointInfo
      }
      return {
        path: entryDir,
        name,
        kind: parsed?.kind ?? "periodic",
        epoch: parsed?.epoch,
        step: parsed?.step,
        score: undefined,
        status: "corrupt",
        reason: result.left
      } satisfies CheckpointInfo
    })

  const listIn = (checkpointsDir: string) =>
    Effect.gen(function*() {
      const names = yield* fs.readDirectory(checkpointsDir).pipe(
        Effect.catchAll((error) =>
          errnoOf(error) === "ENOENT"
            ? Effect.succeed([])
            : new CheckpointNotFound({
              path: checkpointsDir,
              reason: `cannot read the directory (${errnoOf(error) ?? error.message})`,
              fix: "Check the directory's permissions."
            })
        )
      )
      const infos: Array<CheckpointInfo> = []
      for (const name of names.filter((n) => parseName(n) !== undefined).sort()) {
        infos.push(yield* describe(path.join(checkpointsDir, name)))
      }
      return infos.sort((a, b) => (a.step ?? -1) - (b.step ?? -1) || (a.name < b.name ? -1 : 1))
    })

  const resolveLast = (checkpointsDir: string) =>
    Effect.gen(function*() {
      const rank = { periodic: 0, emergency: 1, best: 2 }
      const ordered = (yield* listIn(checkpointsDir))
        .filter((info) => info.step !== undefined)
        .sort((a, b) => (b.step ?? 0) - (a.step ?? 0) || rank[a.kind] - rank[b.kind])
      const warnings: Array<string> = []
      for (const info of ordered) {
        if (info.status === "intact") return { path: info.path, info, warnings } satisfies ResolvedCheckpoint
        warnings.push(`skipped corrupt checkpoint ${info.name}: ${info.reason}`)
      }
      return yield* new CheckpointNotFound({
        path: checkpointsDir,
        reason: warnings.length === 0 ? "no checkpoints" : `no intact checkpoint (${warnings.join("; ")})`,
        fix: "Start without --resume, or pass --resume <path> to a checkpoint from another run."
      })
    })

  const resolveDir = (entryDir: string) =>
    Effect.gen(function*() {
      const info = yield* describe(entryDir)
      if (info.status === "corrupt") {
        if (!(yield* fs.exists(entryDir).pipe(Effect.orElseSucceed(() => true)))) {
          return yield* new CheckpointNotFound({ path: entryDir, reason: "directory missing", fix: "List checkpoints with `pipeline runs`." })
        }
        return yield* new CheckpointCorrupt({ path: entryDir, reason: info.reason ?? "unknown", fix: HINT_CORRUPT })
      }
      return { path: entryDir, info, warnings: [] } satisfies ResolvedCheckpoint
    })

  const isDirectory = (p: string) =>
    fs.stat(p).pipe(Effect.map((s) => s.type === "Directory"), Effect.orElseSucceed(() => false))

  const looksLikeCheckpoint = (p: string) =>
    Effect.gen(function*() {
      if (parseName(path.basename(p)) !== undefined) return true
      for (const marker of [DONE_FILE, MANIFEST_FILE, STATE_FILE]) {
        if (yield* fs.exists(path.join(p, marker)).pipe(Effect.orElseSucceed(() => false))) return true
      }
      return false
    })

  const resolve = (ref: string): Effect.Effect<ResolvedCheckpoint, CheckpointNotFound | CheckpointCorrupt> =>
    Effect.gen(function*() {
      if (ref === "last") return yield* resolveLast(dir)
      if (ref === "best") return yield* resolveDir(path.join(dir, BEST_NAME))
      const target = [STATE_FILE, DONE_FILE, MANIFEST_FILE, WEIGHTS_FILE, OPTIMIZER_FILE].includes(path.basename(ref))
        ? path.dirname(ref)
        : ref
      if (!(yield* isDirectory(target))) {
        return yield* new CheckpointNotFound({
          path: target,
          reason: "no such directory",
          fix: "Pass \"last\", \"best\", a checkpoint directory or a run directory."
        })
      }
      if (yield* looksLikeCheckpoint(target)) return yield* resolveDir(target)
      const nested = path.join(target, "checkpoints")
      return yield* resolveLast((yield* isDirectory(nested)) ? nested : target)
    }).pipe(Effect.provide(context), Effect.withSpan("CheckpointStore.resolve", { attributes: { ref } }))

  const load = (checkpointDir: string): Effect.Effect<LoadedCheckpoint, CheckpointNotFound | CheckpointCorrupt> =>
    Effect.gen(function*() {
      const corrupt = (reason: string) => new CheckpointCorrupt({ path: checkpointDir, reason, fix: HINT_CORRUPT })
      const verdict = yield* verifyDir(checkpointDir)
      if (Either.isLeft(verdict)) {
        return yield* verdict.left.problem === "missing-dir"
          ? new CheckpointNotFound({ path: checkpointDir, reason: "directory missing", fix: "List checkpoints with `pipeline runs`." })
          : corrupt(verdict.left.reason)
      }
      const state = yield* readState(verdict.right).pipe(Effect.mapError(corrupt))
      const read = (file: string) => readVerifiedFile(verdict.right, file).pipe(Effect.mapError((e) => corrupt(e.reason)))
      const weights = unpackTensors(WEIGHTS_FILE, yield* read(WEIGHTS_FILE), state.tensors.weights)
      if ("error" in weights) return yield* corrupt(weights.error)
      const optimizer = unpackTensors(OPTIMIZER_FILE, yield* read(OPTIMIZER_FILE), state.tensors.optimizer)
      if ("error" in optimizer) return yield* corrupt(optimizer.error)
      return {
        path: checkpointDir,
        kind: state.kind,
        epoch: state.epoch,
        step: state.step,
        score: state.score ?? undefined,
        mode: state.mode,
        savedAt: state.savedAt,
        meta: state.meta,
        weights: weights.tensors,
        optimizer: optimizer.tensors
      } satisfies LoadedCheckpoint
    }).pipe(Effect.provide(context), Effect.withSpan("CheckpointStore.load", { attributes: { path: checkpointDir } }))

  const bestScore = Effect.gen(function*() {
    const result = yield* inspect(path.join(dir, BEST_NAME))
    if (Either.isLeft(result) || result.right.state.score === null) return undefined
    const { state } = result.right
    return { score: state.score ?? Number.NaN, mode: state.mode, epoch: state.epoch, step: state.step }
  }).pipe(Effect.provide(context))

  const write = (name: string, request: SaveRequest) =>
    Effect.gen(function*() {
      const target = path.join(dir, name)
      const weights = yield* Effect.try({ try: () => packTensors(request.tensors.weights), catch: (e) => e }).pipe(Effect.orDie)
      const optimizer = yield* Effect.try({ try: () => packTensors(request.tensors.optimizer), catch: (e) => e }).pipe(Effect.orDie)
      const now = yield* Clock.currentTimeMillis
      const state: CheckpointState = {
        format: "lstm-pipeline/checkpoint@1",
        kind: request.kind,
        epoch: request.epoch,
        step: request.step,
        score: request.score !== undefined && Number.isFinite(request.score) ? request.score : null,
        mode: request.mode,
        savedAt: new Date(now).toISOString(),
        tensors: { weights: weights.index, optimizer: optimizer.index },
        meta: request.meta
      }
      yield* writeDirAtomic(target, [
        { name: STATE_FILE, data: JSON.stringify(state, null, 2) + "\n" },
        { name: WEIGHTS_FILE, data: weights.bytes },
        { name: OPTIMIZER_FILE, data: optimizer.bytes }
      ], { meta: { kind: request.kind, epoch: request.epoch, step: request.step } })
      // read it back before anything older is touched
      const check = yield* verifyDir(target)
      if (Either.isLeft(check)) {
        return yield* new CheckpointCorrupt({
          path: target,
          reason: `${check.left.reason} right after writing`,
          fix: "The disk may be failing; older checkpoints were kept."
        })
      }
      return target
    })

  const applyRetention = (saved: { name: string; step: number }) =>
    Effect.gen(function*() {
      const infos = yield* listIn(dir).pipe(Effect.orElseSucceed((): ReadonlyArray<CheckpointInfo> => []))
      const candidates = infos.flatMap((info): ReadonlyArray<RetentionCandidate> =>
        info.kind !== "best" && info.step !== undefined
          ? [{ name: info.name, kind: info.kind, epoch: info.epoch, step: info.step, intact: info.status === "intact" }]
          : []
      )
      const removed: Array<string> = []
      for (const removal of planRetention(candidates, saved, options)) {
        const target = path.join(dir, removal.name)
        // a checkpoint that cannot be deleted costs disk space, not the run
        const gone = yield* Effect.either(removeDirAtomic(target))
        if (Either.isLeft(gone)) {
          yield* Effect.logWarning(`could not remove old checkpoint ${removal.name}: ${gone.left.message}`)
          continue
        }
        yield* Effect.logDebug(`removed checkpoint ${removal.name}: ${removal.why}`)
        removed.push(target)
      }
      return removed
    })

  const saveBest = (request: SaveRequest) =>
    Effect.gen(function*() {
      const target = path.join(dir, BEST_NAME)
      const score = request.score
      if (score === undefined) return yield* Effect.dieMessage("CheckpointStore.save: a best checkpoint needs a score")
      const refuse = (reason: string) => ({ path: target, written: false, reason, removed: [] }) satisfies SaveResult
      if (Number.isNaN(score)) return refuse(`score is NaN`)
      const existing = yield* inspect(target)
      if (Either.isRight(existing)) {
        const { state } = existing.right
        if (state.score !== null && state.mode === request.mode && !isBetter(score, state.score, request.mode)) {
          return refuse(`best score ${state.score} (epoch ${state.epoch}) is not beaten by ${score}`)
        }
      } else if (yield* fs.exists(target).pipe(Effect.orElseSucceed(() => true))) {
        yield* Effect.logWarning(`replacing corrupt best checkpoint (${existing.left})`)
      }
      yield* write(BEST_NAME, request)
      return { path: target, written: true, reason: undefined, removed: [] } satisfies SaveResult
    })

  const save = (request: SaveRequest): Effect.Effect<SaveResult, AtomicWriteError | CheckpointCorrupt> =>
    Effect.gen(function*() {
      switch (request.kind) {
        case "best":
          return yield* saveBest(request)
        case "emergency": {
          const target = yield* write(emergencyName(request.step), request)
          return { path: target, written: true, reason: undefined, removed: [] } satisfies SaveResult
        }
        case "periodic": {
          const name = periodicName(request.epoch, request.step)
          const target = yield* write(name, request)
          const removed = yield* applyRetention({ name, step: request.step })
          return { path: target, written: true, reason: undefined, removed } satisfies SaveResult
        }
      }
    }).pipe(
      Effect.provide(context),
      Effect.withSpan("CheckpointStore.save", { attributes: { kind: request.kind, step: request.step } })
    )

  return {
    dir,
    save,
    list: listIn(dir).pipe(Effect.provide(context)),
    resolve,
    load,
    bestScore
  } satisfies CheckpointStoreService
})

/** The run's checkpoint store; provide it with `CheckpointStore.layer(options)`. */
export class CheckpointStore extends Context.Tag("lstm-pipeline/CheckpointStore")<CheckpointStore, CheckpointStoreService>() {
  /** A store over `options.dir` (normally `<runDir>/checkpoints`). */
  static layer = (options: CheckpointStoreOptions): Layer.Layer<CheckpointStore, never, FileSystem.FileSystem | Path.Path> =>
    Layer.effect(CheckpointStore, make(options))
}
