import { Effect, Either, ParseResult, Schema } from "effect"
import { CheckpointCorrupt, HINT_CORRUPT } from "../checkpoint/domain.js"
import { firstNonFinite } from "../checkpoint/tensors.js"
import { diffPaths, toPlain } from "../cache/canonical.js"
import type { CheckpointInfo, CheckpointStoreService, LoadedCheckpoint } from "../checkpoint/CheckpointStore.js"
import type { TrainConfig } from "../config/TrainConfig.js"
import type { NamedTensor } from "../model/spec.js"
import { TrainState } from "../train/TrainState.js"

/** A resume that would not continue the same run (different model, data or config). */
export class ResumeMismatch extends Schema.TaggedError<ResumeMismatch>()("ResumeMismatch", {
  checkpoint: Schema.String,
  differences: Schema.Array(Schema.String)
}) {}

/** What the Train stage stores in a checkpoint's state.json. */
export const CheckpointMeta = Schema.Struct({
  train_state: TrainState,
  guard: Schema.Unknown,
  engine: Schema.String
})
export type CheckpointMeta = typeof CheckpointMeta.Type

/** What a checkpoint must match to be resumed: anything else that differs is refused. */
export const resumeGuard = (config: TrainConfig, dataFingerprint: string, engine: string, threads: number) => ({
  model: config.model,
  data: config.data,
  data_fingerprint: dataFingerprint,
  train: config.train,
  seed: config.seed,
  engine,
  threads
})

const covers = (allowed: string, changed: string): boolean =>
  changed === allowed || changed.startsWith(`${allowed}.`) || changed.startsWith(`${allowed}[`)

/**
 * The lines of `path: before → after` between a checkpoint's guard and the current one, less the
 * paths `allowed` (`--allow-config-change`) and `ignore` lets through.
 */
export const guardDifferences = (
  saved: unknown,
  current: ReturnType<typeof resumeGuard>,
  allowed: ReadonlyArray<string>,
  ignore: ReadonlyArray<string> = []
): ReadonlyArray<string> =>
  diffPaths(saved, toPlain(current)).filter((line) => {
    const changed = line.slice(0, line.indexOf(": "))
    return ![...allowed, ...ignore].some((a) => covers(a, changed))
  })

/** A verified checkpoint to continue from, with its decoded training state. */
export interface ResumePoint {
  readonly loaded: LoadedCheckpoint
  readonly meta: CheckpointMeta
  /** Corrupt checkpoints skipped on the way, in words. */
  readonly warnings: ReadonlyArray<string>
}

const decodeMeta = (loaded: LoadedCheckpoint) =>
  Schema.decodeUnknown(CheckpointMeta)(loaded.meta).pipe(
    Effect.mapError((error) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
      return new CheckpointCorrupt({
        path: loaded.path,
        reason: `state.json holds an invalid training state${
          issue === undefined ? "" : ` (meta.${issue.path.map(String).join(".")}: ${issue.message})`
        }`,
        fix: HINT_CORRUPT
      })
    })
  )

/**
 * The checkpoint `--resume <ref>` continues from. `last` in a run that has no checkpoint at all
 * yet (killed before its first save) gives null: the run starts over in the same directory.
 */
export const resumePoint = (store: CheckpointStoreService, ref: string) =>
  Effect.gen(function*() {
    if (ref === "last" && (yield* store.list).length === 0) return null
    const resolved = yield* store.resolve(ref)
    const loaded = yield* store.load(resolved.path)
    // the bytes match their hashes, but a re-sealed file can still hold values no healthy run saves
    const nonFinite = firstNonFinite("weights.bin", loaded.weights) ?? firstNonFinite("optimizer.bin", loaded.optimizer)
    if (nonFinite !== undefined) return yield* new CheckpointCorrupt({ path: loaded.path, reason: nonFinite, fix: HINT_CORRUPT })
    const meta = yield* decodeMeta(loaded)
    return { loaded, meta, warnings: resolved.warnings } satisfies ResumePoint
  })

/** Whether `candidate` was saved right after the epoch `start` counts as its best, on the same timeline. */
const holdsBestOf = (candidate: TrainState, start: TrainState): boolean =>
  candidate.best_epoch === start.best_epoch &&
  candidate.best_score === start.best_score &&
  candidate.epoch === start.best_epoch + 1 &&
  candidate.batch_in_epoch === 0 &&
  candidate.step <= start.step

/**
 * The best epoch's weights for a resumed run: from the `best` checkpoint when it belongs to this
 * run's timeline, else from any intact checkpoint written at the end of that epoch. `missing` says
 * why none was found (the best checkpoint is corrupt or was overwritten by another branch).
 */
export const bestWeightsFor = (store: CheckpointStoreService, point: ResumePoint) =>
  Effect.gen(function*() {
    const start = point.meta.train_state
    if (start.best_epoch === 0) return { weights: null, missing: null }
    if (holdsBestOf(start, start)) return { weights: point.loaded.weights, missing: null }
    const fromDir = (dir: string) =>
      Effect.gen(function*() {
        const loaded = yield* Effect.either(store.load(dir))
        if (Either.isLeft(loaded)) return null
        const meta = yield* Effect.either(decodeMeta(loaded.right))
        return Either.isRight(meta) && holdsBestOf(meta.right.train_state, start) ? loaded.right.weights : null
      })
    const listed = yield* store.list.pipe(Effect.orElseSucceed(() => []))
    // the best checkpoint first, then the newest
    const rank = (info: CheckpointInfo): number => (info.kind === "best" ? Number.MAX_SAFE_INTEGER : info.step ?? -1)
    for (const info of [...listed].sort((a, b) => rank(b) - rank(a))) {
      if (info.status !== "intact") continue
      const weights: ReadonlyArray<NamedTensor> | null = yield* fromDir(info.path)
      if (weights !== null) return { weights, missing: null }
    }
    return {
      weights: null,
      missing: `no intact checkpoint holds the weights of the best epoch ${start.best_epoch}; ` +
        "the run will end with its last weights unless a later epoch improves"
    }
  })
