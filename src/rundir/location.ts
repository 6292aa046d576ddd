import { FileSystem, Path } from "@effect/platform"
import { Clock, Effect } from "effect"
import type { TrainConfig } from "../config/TrainConfig.js"
import type { RunLocation } from "./RunDirectory.js"
import { RunDirError } from "./RunDirError.js"

const stamp = (date: Date): string => date.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)

/**
 * Claim a fresh run directory `<output_dir>/<experiment>/<run_name>`. Without a run name it is
 * `<timestamp>-<config hash>`, with `-2`, `-3`... when taken, claimed with an exclusive mkdir so
 * parallel runs (`make -j sweep`) never share one.
 */
export const claimRunDir = Effect.fn("RunDir.claim")(function*(config: TrainConfig, configHash: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const experimentDir = path.resolve(config.output_dir, config.experiment)
  const fail = (p: string, reason: string) =>
    new RunDirError({
      path: p,
      message: `cannot create the run directory ${p}: ${reason}`,
      fix: "choose a writable --output-dir"
    })
  yield* fs.makeDirectory(experimentDir, { recursive: true }).pipe(Effect.mapError((e) => fail(experimentDir, e.message)))
  const now = new Date(yield* Clock.currentTimeMillis)
  const base = config.run_name ?? `${stamp(now)}-${configHash.slice(0, 6)}`
  for (let n = 1; n < 1000; n++) {
    const runName = n === 1 ? base : `${base}-${n}`
    const runDir = path.join(experimentDir, runName)
    const claimed = yield* fs.makeDirectory(runDir).pipe(
      Effect.as(true),
      Effect.catchAll((e) => (e._tag === "SystemError" && e.reason === "AlreadyExists" ? Effect.succeed(false) : Effect.fail(fail(runDir, e.message))))
    )
    if (claimed) return { experiment: config.experiment, runName, runDir, existing: false } satisfies RunLocation
    if (config.run_name !== null) {
      return yield* new RunDirError({
        path: runDir,
        message: `run ${runDir} already exists.`,
        fix: "choose another --run-name, or continue it with --resume last --run-name " + config.run_name
      })
    }
  }
  return yield* new RunDirError({ path: experimentDir, message: "too many runs with the same name", fix: "pass --run-name" })
})

/**
 * The run a `--resume` continues: the run directory named by a checkpoint or run path, else
 * `--run-name`, else the newest run of the experiment that has checkpoints.
 */
export const resumeRunDir = Effect.fn("RunDir.resume")(function*(config: TrainConfig, ref: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const experimentDir = path.resolve(config.output_dir, config.experiment)
  const located = (runDir: string) =>
    ({ experiment: path.basename(path.dirname(runDir)), runName: path.basename(runDir), runDir, existing: true }) satisfies RunLocation
  if (ref !== "last" && ref !== "best") {
    const target = path.resolve(ref)
    if (!(yield* fs.exists(target).pipe(Effect.orElseSucceed(() => false)))) {
      return yield* new RunDirError({
        path: target,
        message: `--resume ${ref}: no such checkpoint or run directory.`,
        fix: "pass last, best, a checkpoint directory (runs/<exp>/<run>/checkpoints/<name>) or a run directory"
      })
    }
    // runs/<exp>/<run>/checkpoints/<ckpt>[/file] → runs/<exp>/<run>
    const parts = target.split(path.sep)
    const at = parts.lastIndexOf("checkpoints")
    return located(at > 0 ? parts.slice(0, at).join(path.sep) : target)
  }
  if (config.run_name !== null) {
    const runDir = path.join(experimentDir, config.run_name)
    if (yield* fs.exists(runDir).pipe(Effect.orElseSucceed(() => false))) return located(runDir)
    return yield* new RunDirError({ path: runDir, message: `--resume ${ref}: run ${runDir} does not exist.`, fix: "check --run-name and --experiment" })
  }
  const names = yield* fs.readDirectory(experimentDir).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => []))
  let newest: { dir: string; mtime: number } | undefined
  for (const name of names) {
    const checkpoints = path.join(experimentDir, name, "checkpoints")
    const info = yield* Effect.option(fs.stat(checkpoints))
    if (info._tag === "None" || info.value.type !== "Directory") continue
    const mtime = info.value.mtime._tag === "Some" ? info.value.mtime.value.getTime() : 0
    if (newest === undefined || mtime > newest.mtime) newest = { dir: path.join(experimentDir, name), mtime }
  }
  if (newest === undefined) {
    return yield* new RunDirError({
      path: experimentDir,
      message: `--resume ${ref}: experiment '${config.experiment}' has no run with checkpoints under ${experimentDir}.`,
      fix: "check --experiment and --output-dir, or pass the run directory to --resume"
    })
  }
  return located(newest.dir)
})
