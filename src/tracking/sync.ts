import { FileSystem, Path } from "@effect/platform"
import { Effect, Exit, FiberId, Option, Schema, Scope } from "effect"
import { type DeliveryLog, makeFanOut } from "./FanOut.js"
import { mlflowSpec } from "./Mlflow.js"
import { uploadArtifacts } from "./mlflowArtifacts.js"
import type { SinkSpec } from "./Sink.js"
import { openSpool } from "./Spool.js"
import type { RunInfo, RunStatus } from "./Tracker.js"
import { wandbSpec } from "./Wandb.js"
import { uploadWandbArtifact } from "./wandbArtifacts.js"
import { RunsError } from "../runs/RunsError.js"

const SummaryStatus = Schema.parseJson(Schema.Struct({ status: Schema.Literal("success", "failed", "interrupted") }))

/** The Exit that makes the fan-out finalize with `status`. */
const exitFor = (status: RunStatus): Exit.Exit<void, string> =>
  status === "success" ? Exit.void : status === "failed" ? Exit.fail(status) : Exit.interrupt(FiberId.none)

/**
 * `pipeline runs sync <run-dir>`: send what the remote backends of a finished run could not take
 * (its `tracking/spool/<backend>.jsonl`) to the run it logged to, in order, and finish that run
 * with the status it ended with (from the spool, else summary.json); a successful run's artifacts
 * are uploaded (again) to the MLflow and W&B runs it logged to. Returns each backend's points.
 */
export const syncRun = Effect.fn("Tracking.sync")(function*(runDir: string, notes: (line: string) => Effect.Effect<void>) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const spoolDir = path.join(runDir, "tracking", "spool")
  const names = (yield* fs.exists(spoolDir).pipe(Effect.orElseSucceed(() => false)))
    ? (yield* fs.readDirectory(spoolDir).pipe(Effect.orElseSucceed(() => []))).filter((n) => n.endsWith(".jsonl")).map((n) => n.slice(0, -6))
    : []
  const deliveries: DeliveryLog = {}
  const summary = yield* fs.readFileString(path.join(runDir, "summary.json")).pipe(
    Effect.map((text) => Option.map(Schema.decodeUnknownOption(SummaryStatus)(text), (s) => s.status)),
    Effect.orElseSucceed(() => Option.none<RunStatus>())
  )
  yield* syncSpools(runDir, names, summary, deliveries, notes)
  // a finished run's artifacts, which the end of the run may have failed to upload (MLflow overwrites, W&B deduplicates)
  if (Option.getOrUndefined(summary) !== "success") return deliveries
  if (yield* fs.exists(path.join(runDir, "tracking", "mlflow.json")).pipe(Effect.orElseSucceed(() => false))) {
    const mlflow = yield* uploadArtifacts(runDir)
    yield* notes(mlflow.problem === null ? `mlflow: ${mlflow.uploaded.length} artifact(s) uploaded` : `mlflow: artifacts not uploaded: ${mlflow.problem}`)
  }
  if (yield* fs.exists(path.join(runDir, "tracking", "wandb.json")).pipe(Effect.orElseSucceed(() => false))) {
    const wandb = yield* uploadWandbArtifact(runDir)
    yield* notes(
      wandb.problem !== null
        ? `wandb: artifact not uploaded: ${wandb.problem}`
        : `wandb: artifact ${wandb.artifact} ${wandb.unchanged ? "already there" : `logged (${wandb.uploaded.length} file(s) uploaded)`}`
    )
  }
  return deliveries
})

/** Replay each backend's spool to its run and finish that run with the status it ended with. */
const syncSpools = (
  runDir: string,
  names: ReadonlyArray<string>,
  summary: Option.Option<RunStatus>,
  deliveries: DeliveryLog,
  notes: (line: string) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const fail = (reason: string, fix: string) => new RunsError({ path: runDir, reason, fix })
    if (names.length === 0) return
    const configText = yield* fs.readFileString(path.join(runDir, "config.yaml")).pipe(Effect.orElseSucceed(() => ""))
    const info: RunInfo = {
      experiment: path.basename(path.dirname(runDir)),
      runName: path.basename(runDir),
      runDir,
      params: {},
      configText,
      tags: [],
      resumed: true
    }
    for (const name of names) {
      const spool = yield* openSpool(runDir, name, Number.MAX_SAFE_INTEGER)
      const entries = yield* spool.entries.pipe(Effect.mapError((e) => fail(e.reason, "check the file's permissions")))
      const closing = entries.flatMap((e) => (e._tag === "close" ? [e.status] : [])).at(-1)
      const status = closing ?? Option.getOrUndefined(summary)
      if (status === undefined) {
        return yield* fail(
          "has no final status yet (no summary.json): the run may still be running",
          "let it finish (or resume it with --resume last), then sync"
        )
      }
      const spec: Option.Option<SinkSpec> = name === "mlflow"
        ? Option.some(yield* mlflowSpec(info))
        : name === "wandb"
        ? yield* wandbSpec(info)
        : Option.none()
      if (Option.isNone(spec)) {
        yield* notes(`${name}: not a backend that can be synced (or not configured here); ${spool.file} left as it is`)
        continue
      }
      const scope = yield* Scope.make()
      yield* makeFanOut([spec.value], {
        spoolFor: () => Effect.succeed(spool),
        deliveries,
        notices: { note: notes },
        // nobody is waiting on a Ctrl-C here: an interrupted run's points get the full time too
        interruptedCloseTimeoutMs: 15_000
      }).pipe(Scope.extend(scope))
      yield* Scope.close(scope, exitFor(status))
    }
  })
