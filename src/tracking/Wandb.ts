import { FileSystem, Path } from "@effect/platform"
import { Clock, Config, Effect, Layer, Option, Redacted, Schema } from "effect"
import { randomBytes } from "node:crypto"
import { hostname } from "node:os"
import { type FanOutOptions, layerFromSpecs } from "./FanOut.js"
import { decodeBody, ensureOk, fetchJson } from "./http.js"
import { type Call, type SinkSpec, toTrackerError, TrackerError } from "./Sink.js"
import { sourceInfo } from "./sourceTags.js"
import type { Params, RunInfo, RunStatus, Tracker } from "./Tracker.js"

// We talk to W&B's HTTP API directly instead of using @wandb/sdk: the SDK installs its own
// SIGINT/SIGTERM handlers (and a background process), which would break our interrupt handling
// (batches finish, the emergency checkpoint is written, trackers are finalized with "interrupted").

/** W&B backend options; unset fields come from WANDB_ENTITY, WANDB_PROJECT, WANDB_BASE_URL. */
export interface WandbOptions {
  readonly entity?: string
  /** Default: WANDB_PROJECT, else the experiment name. */
  readonly project?: string
  readonly baseUrl?: string
  /** Per-request timeout. Default 10 s. */
  readonly requestTimeoutMs?: number
}

/** The GraphQL mutation that creates (or resumes) a run, as the wandb client sends it. */
export const upsertBucketMutation = `mutation UpsertBucket($id: String, $name: String, $project: String, $entity: String, $groupName: String, $displayName: String, $config: JSONString, $tags: [String!], $jobType: String, $commit: String, $host: String, $program: String) {
  upsertBucket(input: {id: $id, name: $name, modelName: $project, entityName: $entity, groupName: $groupName, displayName: $displayName, config: $config, tags: $tags, jobType: $jobType, commit: $commit, host: $host, program: $program}) {
    bucket { id name displayName historyLineCount project { id name entity { id name } } }
    inserted
  }
}`

const UpsertResponse = Schema.Struct({
  data: Schema.Struct({
    upsertBucket: Schema.Struct({
      bucket: Schema.Struct({
        name: Schema.String,
        historyLineCount: Schema.optional(Schema.NullOr(Schema.Number)),
        project: Schema.Struct({ name: Schema.String, entity: Schema.Struct({ name: Schema.String }) })
      })
    })
  })
})

const GraphqlErrors = Schema.Struct({ errors: Schema.Array(Schema.Struct({ message: Schema.String })) })

/** `<runDir>/tracking/wandb.json`: the W&B run this run directory logs to, reused on resume. */
export const StoredRun = Schema.Struct({ run_id: Schema.String, entity: Schema.String, project: Schema.String })

/** How to reach W&B's API: the base URL and the API key as a basic-auth header. */
export interface WandbEndpoint {
  readonly baseUrl: string
  readonly headers: Readonly<Record<string, string>>
  readonly timeoutMs: number
}

/** The endpoint from WANDB_API_KEY and WANDB_BASE_URL (or the given URL); None without a key. */
export const wandbEndpoint = (options: { readonly baseUrl?: string; readonly requestTimeoutMs?: number } = {}) =>
  Effect.gen(function*() {
    const key = yield* Config.option(Config.redacted("WANDB_API_KEY")).pipe(Effect.orElseSucceed(Option.none))
    if (Option.isNone(key) || Redacted.value(key.value) === "") return Option.none<WandbEndpoint>()
    const env = yield* Config.option(Config.string("WANDB_BASE_URL")).pipe(Effect.orElseSucceed(Option.none))
    const baseUrl = (options.baseUrl ?? Option.getOrElse(env, () => "https://api.wandb.ai")).replace(/\/+$/, "")
    const headers = { authorization: `Basic ${Buffer.from(`api:${Redacted.value(key.value)}`).toString("base64")}` }
    return Option.some<WandbEndpoint>({ baseUrl, headers, timeoutMs: options.requestTimeoutMs ?? 10_000 })
  })

/** One GraphQL operation against W&B: HTTP and GraphQL errors are TrackerErrors naming `operation`. */
export const wandbGraphql = <A, I>(
  endpoint: WandbEndpoint,
  operation: string,
  query: string,
  variables: Record<string, unknown>,
  schema: Schema.Schema<A, I>
): Effect.Effect<A, TrackerError> =>
  fetchJson("wandb", operation, {
    method: "POST",
    url: `${endpoint.baseUrl}/graphql`,
    headers: endpoint.headers,
    body: { query, variables },
    timeoutMs: endpoint.timeoutMs
  }).pipe(
    Effect.flatMap(ensureOk("wandb", operation)),
    Effect.tap((response) =>
      Schema.decodeUnknownOption(GraphqlErrors)(response.json).pipe(
        Option.filter((body) => body.errors.length > 0),
        Option.match({
          onNone: () => Effect.void,
          onSome: (body) =>
            Effect.fail(new TrackerError({ backend: "wandb", reason: `${operation}: ${body.errors.map((e) => e.message).join("; ")}` }))
        })
      )
    ),
    Effect.flatMap(decodeBody("wandb", operation, schema))
  )

/** The process exit code W&B is told: it marks 0 finished and anything else failed. */
export const wandbExitCode = (status: RunStatus): number => (status === "success" ? 0 : status === "failed" ? 1 : 255)

/** W&B's config shape: `{ key: { value } }`. */
const wandbConfig = (params: Params): string =>
  JSON.stringify(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { value: v }])))

/** A new run id, as wandb makes them: 8 characters of [a-z0-9]. */
const newRunId = (): string => {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
  return Array.from(randomBytes(8), (b) => alphabet[b % alphabet.length]).join("")
}

/**
 * Weights & Biases over HTTP: `upsertBucket` (GraphQL) creates the run, `file_stream` carries
 * `wandb-history.jsonl` lines and `wandb-summary.json`, and a final `complete` with the exit code.
 * Succeeds with None (after one warning) when WANDB_API_KEY is not set.
 */
export const wandbSpec = (
  info: RunInfo,
  options: WandbOptions = {}
): Effect.Effect<Option.Option<SinkSpec>, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const env = (name: string) => Config.option(Config.string(name)).pipe(Effect.orElseSucceed(Option.none))
    const found = yield* wandbEndpoint(options)
    if (Option.isNone(found)) {
      yield* Effect.logWarning("wandb: WANDB_API_KEY is not set; the run is not logged to W&B")
      return Option.none()
    }
    const endpoint = found.value
    const { baseUrl, headers, timeoutMs } = endpoint
    const entityOption = options.entity ?? Option.getOrUndefined(yield* env("WANDB_ENTITY"))
    const projectOption = options.project ?? Option.getOrElse(yield* env("WANDB_PROJECT"), () => info.experiment)
    const storeFile = path.join(info.runDir, "tracking", "wandb.json")

    const upsert = (variables: Record<string, unknown>) =>
      Effect.map(
        wandbGraphql(endpoint, "upsertBucket", upsertBucketMutation, variables, UpsertResponse),
        (body) => body.data.upsertBucket.bucket
      )

    const storedRun = Effect.gen(function*() {
      if (!info.resumed || !(yield* fs.exists(storeFile))) return Option.none()
      return Schema.decodeUnknownOption(Schema.parseJson(StoredRun))(yield* fs.readFileString(storeFile))
    }).pipe(Effect.orElseSucceed(() => Option.none()))

    const open = Effect.gen(function*() {
      const started = yield* Clock.currentTimeMillis
      const stored = yield* storedRun
      const runId = Option.match(stored, { onNone: newRunId, onSome: (s) => s.run_id })
      const source = sourceInfo()
      const config: Record<string, string | number | boolean> = { ...info.params, "lstm_pipeline.version": source.version }
      const bucket = yield* upsert({
        // the run's source, as wandb records it: git commit (inside a repository), host and program
        ...(source.commit === undefined ? {} : { commit: source.commit }),
        host: hostname(),
        program: "lstm-pipeline",
        name: runId,
        project: Option.match(stored, { onNone: () => projectOption, onSome: (s) => s.project }),
        entity: Option.match(stored, { onNone: () => entityOption, onSome: (s) => s.entity }),
        groupName: info.experiment,
        displayName: info.runName,
        jobType: "train",
        config: wandbConfig(config),
        tags: [...info.tags]
      })
      const entity = bucket.project.entity.name
      const project = bucket.project.name
      const failStore = toTrackerError("wandb", storeFile)
      const record = JSON.stringify({ run_id: runId, entity, project }, null, 2)
      yield* fs.makeDirectory(path.dirname(storeFile), { recursive: true }).pipe(Effect.mapError(failStore))
      yield* fs.writeFileString(`${storeFile}.tmp`, record).pipe(Effect.mapError(failStore))
      yield* fs.rename(`${storeFile}.tmp`, storeFile).pipe(Effect.mapError(failStore))

      const streamUrl = `${baseUrl}/files/${encodeURIComponent(entity)}/${encodeURIComponent(project)}/${encodeURIComponent(bucket.name)}/file_stream`
      const stream = (body: unknown) =>
        Effect.flatMap(fetchJson("wandb", "file_stream", { method: "POST", url: streamUrl, headers, body, timeoutMs }), ensureOk("wandb", "file_stream"))
      // Resuming continues the history where the server has it, so no step is written twice.
      let offset = bucket.historyLineCount ?? 0
      const summary: Record<string, number | null> = {}
      let globalStep = 0

      const write = (calls: ReadonlyArray<Call>) =>
        Effect.gen(function*() {
          const lines: Array<string> = []
          let summaryChanged = false
          let newParams = false
          for (const call of calls) {
            if (call._tag === "params" || call._tag === "tags") {
              // W&B keeps key/value facts about a run in its config (its tags are bare labels)
              Object.assign(config, call._tag === "params" ? call.params : call.tags)
              newParams = true
              continue
            }
            if (call._tag !== "metrics") continue
            const finite = (v: number) => (Number.isFinite(v) ? v : null)
            if (call.kind === "final") {
              // per-split window counts are bookkeeping, not metrics
              for (const [k, v] of Object.entries(call.metrics)) if (!k.endsWith("/count")) summary[k] = finite(v)
              summaryChanged = true
              continue
            }
            const row: Record<string, number | null> = {
              _step: offset + lines.length,
              _runtime: Math.max(0, (call.time - started) / 1000),
              _timestamp: call.time / 1000
            }
            // Lightning's WandbLogger: every row carries the global step (the last batch step for epochs)
            if (call.kind === "batch") {
              globalStep = call.step
              row.batch_step = call.step
            } else row.epoch = call.step
            row["trainer/global_step"] = globalStep
            for (const [k, v] of Object.entries(call.metrics)) {
              const name = call.kind === "batch" ? `batch/${k}` : k
              row[name] = finite(v)
              summary[name] = finite(v)
            }
            lines.push(JSON.stringify(row))
            summaryChanged = true
          }
          if (newParams) {
            yield* upsert({ name: bucket.name, project, entity, config: wandbConfig(config) })
          }
          if (lines.length === 0 && !summaryChanged) return
          const files: Record<string, { offset: number; content: ReadonlyArray<string> }> = {}
          if (lines.length > 0) files["wandb-history.jsonl"] = { offset, content: lines }
          files["wandb-summary.json"] = { offset: 0, content: [JSON.stringify(summary)] }
          yield* stream({ files })
          offset += lines.length
        })

      return {
        write,
        flush: Effect.void,
        close: (status: RunStatus) => Effect.asVoid(stream({ complete: true, exitcode: wandbExitCode(status) }))
      }
    })

    return Option.some<SinkSpec>({ name: "wandb", remote: true, appendOnly: true, accepts: ["params", "tags", "metrics"], open })
  })

/** Logs to Weights & Biases when WANDB_API_KEY is set; otherwise warns once and records nothing. */
export const layerWandb = (
  info: RunInfo,
  options: WandbOptions & FanOutOptions = {}
): Layer.Layer<Tracker, never, FileSystem.FileSystem | Path.Path> =>
  Layer.unwrapEffect(Effect.map(wandbSpec(info, options), (spec) => layerFromSpecs(Option.toArray(spec), options)))
