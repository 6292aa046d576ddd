import { FileSystem, Path } from "@effect/platform"
import { Config, Effect, Option, Schema } from "effect"
import { decodeBody, ensureOk, fetchJson, putBytes } from "./http.js"
import { authHeaders, normalizeTrackingUri, StoredRun } from "./Mlflow.js"
import { fileStoreRoot } from "./MlflowFileStore.js"
import { artifactFiles } from "./runArtifacts.js"
import { describe, type TrackerError } from "./Sink.js"

const RunInfoResponse = Schema.Struct({ run: Schema.Struct({ info: Schema.Struct({ artifact_uri: Schema.String }) }) })

/** Copy the run's artifact files under `target` (each written to a temp file, then renamed). */
const copyArtifacts = (runDir: string, target: string, options: { readonly checkpoints?: boolean }) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const copied: Array<string> = []
    for (const relative of yield* artifactFiles(runDir, options)) {
      const to = path.join(target, relative)
      yield* fs.makeDirectory(path.dirname(to), { recursive: true })
      yield* fs.copyFile(path.join(runDir, relative), `${to}.tmp`)
      yield* fs.rename(`${to}.tmp`, to)
      copied.push(relative)
    }
    return copied as ReadonlyArray<string>
  })

/**
 * Upload the run's exported model, plots, report, config, eval and summary to the MLflow run in
 * `tracking/mlflow.json`, through the tracking server's artifact proxy
 * (`PUT /api/2.0/mlflow-artifacts/artifacts/<experiment>/<run>/artifacts/<path>`). Checkpoints
 * are added with `checkpoints`. With MLflow's file store (`file:./mlruns`) they are copied into the
 * run's `artifacts/` there instead. Returns the uploaded paths, or why nothing could be uploaded;
 * it never fails the run.
 */
export const uploadArtifacts = Effect.fn("Tracking.uploadArtifacts")(function*(
  runDir: string,
  options: { readonly uri?: string; readonly checkpoints?: boolean; readonly requestTimeoutMs?: number } = {}
) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const stored = yield* fs.readFileString(path.join(runDir, "tracking", "mlflow.json")).pipe(
    Effect.map((text) => Schema.decodeUnknownOption(Schema.parseJson(StoredRun))(text)),
    Effect.orElseSucceed(() => Option.none())
  )
  if (Option.isNone(stored)) return { uploaded: [] as ReadonlyArray<string>, problem: "no MLflow run recorded in tracking/mlflow.json" }
  const envUri = yield* Config.option(Config.string("MLFLOW_TRACKING_URI")).pipe(Effect.orElseSucceed(Option.none))
  const uri = normalizeTrackingUri(options.uri ?? Option.getOrElse(envUri, () => stored.value.tracking_uri))
  const root = fileStoreRoot(uri)
  if (root !== undefined) {
    // no server: the files go where MLflow's file store keeps a run's artifacts
    const target = path.join(path.resolve(root), stored.value.experiment_id, stored.value.run_id, "artifacts")
    return yield* copyArtifacts(runDir, target, options).pipe(
      Effect.map((uploaded) => ({ uploaded, problem: null })),
      Effect.catchAll((error) => Effect.succeed({ uploaded: [] as ReadonlyArray<string>, problem: `${target}: ${describe(error)}` }))
    )
  }
  const headers = yield* authHeaders
  const timeoutMs = options.requestTimeoutMs ?? 30_000
  const upload = Effect.gen(function*() {
    const runId = encodeURIComponent(stored.value.run_id)
    const info = yield* fetchJson("mlflow", "runs/get", { method: "GET", url: `${uri}/api/2.0/mlflow/runs/get?run_id=${runId}`, headers, timeoutMs }).pipe(
      Effect.flatMap(ensureOk("mlflow", "runs/get")),
      Effect.flatMap(decodeBody("mlflow", "runs/get", RunInfoResponse))
    )
    const artifactUri = info.run.info.artifact_uri
    const proxied = /^mlflow-artifacts:(\/\/[^/]*)?\/(.*)$/.exec(artifactUri)
    if (proxied === null) {
      return {
        uploaded: [] as ReadonlyArray<string>,
        problem: `the run's artifact store is ${artifactUri}, which the server does not proxy: start \`mlflow server\` with --serve-artifacts`
      }
    }
    const prefix = proxied[2]!.replace(/\/+$/, "")
    const files = yield* artifactFiles(runDir, options)
    const uploaded: Array<string> = []
    for (const relative of files) {
      const body = yield* fs.readFile(path.join(runDir, relative)).pipe(Effect.orElseSucceed(() => undefined))
      if (body === undefined) continue
      const target = `${uri}/api/2.0/mlflow-artifacts/artifacts/${prefix}/${relative.split("/").map(encodeURIComponent).join("/")}`
      yield* putBytes("mlflow", `artifact ${relative}`, { url: target, headers, body, timeoutMs }).pipe(
        Effect.flatMap(ensureOk("mlflow", `artifact ${relative}`))
      )
      uploaded.push(relative)
    }
    return { uploaded: uploaded as ReadonlyArray<string>, problem: null }
  })
  return yield* upload.pipe(
    Effect.catchAll((error: TrackerError) => Effect.succeed({ uploaded: [] as ReadonlyArray<string>, problem: describe(error) }))
  )
})
