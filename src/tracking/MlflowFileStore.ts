import { FileSystem, Path } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Clock, Effect, Option, Schema } from "effect"
import { randomBytes } from "node:crypto"
import { userInfo } from "node:os"
import { globalStepper, mlflowStatus, StoredRun } from "./Mlflow.js"
import { type Call, type SinkSpec, toTrackerError } from "./Sink.js"
import { sourceTags } from "./sourceTags.js"
import type { Params, RunInfo, RunStatus } from "./Tracker.js"

/** MLflow's RunStatus enum as its file store writes it in meta.yaml. */
const statusCode = { RUNNING: 1, FINISHED: 3, FAILED: 4, KILLED: 5 } as const

/** `file:./mlruns`, `file:///abs/mlruns` or a plain path → the directory; undefined for http(s). */
export const fileStoreRoot = (uri: string): string | undefined => {
  if (/^https?:\/\//.test(uri)) return undefined
  if (uri.startsWith("file://")) return decodeURIComponent(new URL(uri).pathname)
  if (uri.startsWith("file:")) return uri.slice("file:".length)
  return /^[a-z][a-z0-9+.-]*:/i.test(uri) ? undefined : uri
}

/** A YAML scalar MLflow's reader (PyYAML safe_load) reads back as the same string. */
const yamlString = (s: string): string => `'${s.replaceAll("'", "''")}'`

const experimentMeta = (id: string, name: string, location: string, now: number): string =>
  [
    `artifact_location: ${yamlString(location)}`,
    `creation_time: ${now}`,
    `experiment_id: ${yamlString(id)}`,
    `last_update_time: ${now}`,
    `lifecycle_stage: active`,
    `name: ${yamlString(name)}`,
    ""
  ].join("\n")

const runMeta = (m: {
  readonly runId: string
  readonly experimentId: string
  readonly runName: string
  readonly artifactUri: string
  readonly start: number
  readonly end: number | null
  readonly status: number
}): string =>
  [
    `artifact_uri: ${yamlString(m.artifactUri)}`,
    `end_time: ${m.end === null ? "null" : m.end}`,
    `entry_point_name: ''`,
    `experiment_id: ${yamlString(m.experimentId)}`,
    `lifecycle_stage: active`,
    `run_id: ${m.runId}`,
    `run_name: ${yamlString(m.runName)}`,
    `run_uuid: ${m.runId}`,
    `source_name: ''`,
    `source_type: 4`,
    `source_version: ''`,
    `start_time: ${m.start}`,
    `status: ${m.status}`,
    `tags: []`,
    `user_id: ${yamlString(safeUser())}`,
    ""
  ].join("\n")

const safeUser = (): string => {
  try {
    return userInfo().username
  } catch {
    return "unknown"
  }
}

/** A metric, param or tag key as a relative file path (MLflow allows `/` in keys: they nest). */
const keyPath = (key: string): string => key.split("/").filter((p) => p !== "" && p !== "." && p !== "..").join("/")

/**
 * MLflow without a server: `MLFLOW_TRACKING_URI=file:./mlruns` (or a path) writes MLflow's
 * file-store layout directly (`<root>/<experiment_id>/meta.yaml`, `<run_id>/{meta.yaml,metrics,
 * params,tags,artifacts}`), so `mlflow ui --backend-store-uri ./mlruns` shows the runs. Metric
 * files hold `timestamp value step` lines, as MLflow's FileStore appends them.
 */
export const mlflowFileStoreSpec = (info: RunInfo, root: string): Effect.Effect<SinkSpec, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const base = path.resolve(root)
    const fail = toTrackerError("mlflow", base)
    const storeFile = path.join(info.runDir, "tracking", "mlflow.json")
    const uri = `file://${base}`

    const experimentId = Effect.gen(function*() {
      yield* fs.makeDirectory(base, { recursive: true })
      // MLflow's FileStore starts a store with its Default experiment (id 0); the UI expects it
      if (!(yield* fs.exists(path.join(base, "0", "meta.yaml")))) {
        yield* fs.makeDirectory(path.join(base, "0"), { recursive: true })
        yield* fs.writeFileString(path.join(base, "0", "meta.yaml"), experimentMeta("0", "Default", `file://${path.join(base, "0")}`, yield* Clock.currentTimeMillis))
      }
      for (const entry of yield* fs.readDirectory(base)) {
        const meta = yield* fs.readFileString(path.join(base, entry, "meta.yaml")).pipe(Effect.orElseSucceed(() => ""))
        if (meta.split("\n").includes(`name: ${yamlString(info.experiment)}`)) return entry
      }
      const now = yield* Clock.currentTimeMillis
      const id = String(BigInt(`0x${randomBytes(7).toString("hex")}`))
      const dir = path.join(base, id)
      yield* fs.makeDirectory(dir, { recursive: true })
      yield* fs.writeFileString(path.join(dir, "meta.yaml"), experimentMeta(id, info.experiment, `file://${dir}`, now))
      return id
    })

    const open = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const stored = info.resumed
        ? yield* fs.readFileString(storeFile).pipe(
          Effect.map((text) => Schema.decodeUnknownOption(Schema.parseJson(StoredRun))(text)),
          Effect.orElseSucceed(() => Option.none())
        )
        : Option.none()
      const reuse = Option.filter(stored, (s) => s.tracking_uri === uri)
      const experiment = Option.isSome(reuse) ? reuse.value.experiment_id : yield* experimentId
      const runId = Option.isSome(reuse) ? reuse.value.run_id : randomBytes(16).toString("hex")
      const runDir = path.join(base, experiment, runId)
      const meta = (status: number, end: number | null) =>
        fs.writeFileString(
          path.join(runDir, "meta.yaml"),
          runMeta({ runId, experimentId: experiment, runName: info.runName, artifactUri: `file://${path.join(runDir, "artifacts")}`, start: now, end, status })
        )
      for (const sub of ["metrics", "params", "tags", "artifacts"]) yield* fs.makeDirectory(path.join(runDir, sub), { recursive: true })
      yield* meta(statusCode.RUNNING, null)
      const writeKey = (kind: "params" | "tags", key: string, value: string): Effect.Effect<void, PlatformError> =>
        Effect.gen(function*() {
          const file = path.join(runDir, kind, keyPath(key))
          yield* fs.makeDirectory(path.dirname(file), { recursive: true })
          // params are immutable: one logged before keeps its value (a change is a `changed.` tag)
          if (kind === "params" && (yield* fs.exists(file))) {
            const old = yield* fs.readFileString(file)
            if (old !== value) yield* writeKey("tags", `changed.${key}`, `${old} → ${value}`)
            return
          }
          yield* fs.writeFileString(file, value)
        })
      const logParams = (params: Params) =>
        Effect.forEach(Object.entries(params), ([k, v]) => writeKey("params", k, String(v).slice(0, 6000)), { discard: true })
      const tags = [
        ["mlflow.runName", info.runName],
        ["mlflow.source.name", "lstm-pipeline"],
        ["mlflow.user", safeUser()],
        ...sourceTags().flatMap((t) => (t.key === "mlflow.user" ? [] : [[t.key, t.value] as const])),
        ...info.tags.map((t) => (t.includes("=") ? [t.slice(0, t.indexOf("=")), t.slice(t.indexOf("=") + 1)] : [t, "true"]))
      ] as const
      yield* Effect.forEach(tags, ([k, v]) => writeKey("tags", k, v), { discard: true })
      yield* logParams(info.params)
      yield* fs.makeDirectory(path.dirname(storeFile), { recursive: true })
      yield* fs.writeFileString(storeFile, JSON.stringify({ run_id: runId, experiment_id: experiment, tracking_uri: uri }, null, 2))

      const atStep = globalStepper()
      const write = (calls: ReadonlyArray<Call>) =>
        Effect.gen(function*() {
          const lines = new Map<string, Array<string>>()
          for (const call of calls) {
            if (call._tag === "params") {
              yield* logParams(call.params)
              continue
            }
            if (call._tag === "tags") {
              yield* Effect.forEach(Object.entries(call.tags), ([k, v]) => writeKey("tags", k, v.slice(0, 8000)), { discard: true })
              continue
            }
            if (call._tag !== "metrics") continue
            const shaped = atStep(call)
            for (const [name, value] of Object.entries(shaped.metrics)) {
              const key = keyPath(call.kind === "batch" ? `batch/${name}` : name)
              const line = `${shaped.time} ${Number.isFinite(value) ? value : String(value).replace("Infinity", "inf")} ${shaped.step}\n`
              lines.set(key, [...(lines.get(key) ?? []), line])
            }
          }
          for (const [key, text] of lines) {
            const file = path.join(runDir, "metrics", key)
            yield* fs.makeDirectory(path.dirname(file), { recursive: true })
            yield* fs.writeFileString(file, text.join(""), { flag: "a" })
          }
        }).pipe(Effect.mapError(fail))
      return {
        write,
        flush: Effect.void,
        close: (status: RunStatus) =>
          Effect.flatMap(Clock.currentTimeMillis, (end) => meta(statusCode[mlflowStatus(status)], end)).pipe(Effect.mapError(fail))
      }
    }).pipe(Effect.mapError(fail))

    return { name: "mlflow", remote: false, appendOnly: true, accepts: ["params", "tags", "metrics"], open }
  })
