import { FileSystem, Path } from "@effect/platform"
import { Clock, Config, Effect, Layer, Option, Redacted, Schema } from "effect"
import { type FanOutOptions, layerFromSpecs } from "./FanOut.js"
import { decodeBody, ensureOk, fetchJson, type JsonResponse } from "./http.js"
import { type Call, type SinkSpec, toTrackerError, TrackerError } from "./Sink.js"
import { sourceTags } from "./sourceTags.js"
import type { RunInfo, RunStatus, Tracker } from "./Tracker.js"

/** MLflow backend options. */
export interface MlflowOptions {
  /** Tracking server, e.g. `http://127.0.0.1:5000`; defaults to `MLFLOW_TRACKING_URI`. */
  readonly uri?: string
  /** Per-request timeout. Default 10 s. */
  readonly requestTimeoutMs?: number
}

/** One metric point in MLflow's REST shape; non-finite values are sent as protobuf-JSON strings. */
export interface MlflowMetric {
  readonly key: string
  readonly value: number | string
  readonly timestamp: number
  readonly step: number
}

/** A key/value pair (params and tags). */
export interface MlflowKeyValue {
  readonly key: string
  readonly value: string
}

/** One `runs/log-batch` body without the run id. */
export interface LogBatch {
  readonly metrics: ReadonlyArray<MlflowMetric>
  readonly params: ReadonlyArray<MlflowKeyValue>
  readonly tags: ReadonlyArray<MlflowKeyValue>
}

/** MLflow's log-batch limits: 1000 metrics, 100 params, 100 tags, 1000 entities in all. */
export const logBatchLimits = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const

/** Split entities into log-batch requests that respect MLflow's limits, keeping their order. */
export const splitLogBatch = (batch: LogBatch): ReadonlyArray<LogBatch> => {
  const out: Array<LogBatch> = []
  let m = 0
  let p = 0
  let t = 0
  while (m < batch.metrics.length || p < batch.params.length || t < batch.tags.length) {
    const params = batch.params.slice(p, p + logBatchLimits.params)
    const tags = batch.tags.slice(t, t + logBatchLimits.tags)
    const room = Math.min(logBatchLimits.metrics, logBatchLimits.total - params.length - tags.length)
    const metrics = batch.metrics.slice(m, m + room)
    out.push({ metrics, params, tags })
    m += metrics.length
    p += params.length
    t += tags.length
  }
  return out
}

/** What `runs/update` is told at the end of the run. */
export const mlflowStatus = (status: RunStatus): "FINISHED" | "FAILED" | "KILLED" =>
  status === "success" ? "FINISHED" : status === "failed" ? "FAILED" : "KILLED"

/** MLflow limits a param value to 6000 characters and a tag value to 8000 (older servers: 500/5000). */
const clip = (text: string, max: number): string => (text.length <= max ? text : text.slice(0, max - 1) + "…")

/** `<runDir>/tracking/mlflow.json`: the run this run directory logs to, reused on resume. */
export const StoredRun = Schema.Struct({ run_id: Schema.String, experiment_id: Schema.String, tracking_uri: Schema.String })

const ExperimentResponse = Schema.Struct({ experiment: Schema.Struct({ experiment_id: Schema.String }) })
const CreateExperimentResponse = Schema.Struct({ experiment_id: Schema.String })
const CreateRunResponse = Schema.Struct({ run: Schema.Struct({ info: Schema.Struct({ run_id: Schema.String }) }) })

/** `tag` → {tag: "true"}, `key=value` → {key: value}. */
const userTags = (tags: ReadonlyArray<string>): ReadonlyArray<MlflowKeyValue> =>
  tags.map((tag) => {
    const at = tag.indexOf("=")
    return at > 0 ? { key: tag.slice(0, at), value: tag.slice(at + 1) } : { key: tag, value: "true" }
  })

/** One call's metrics in MLflow's shape; batch metrics get a `batch/` prefix (their step is the batch). */
const metricsOf = (call: MetricCall): ReadonlyArray<MlflowMetric> =>
  Object.entries(call.metrics).map(([name, value]) => ({
    key: call.kind === "batch" ? `batch/${name}` : name,
    value: Number.isFinite(value) ? value : String(value),
    timestamp: Math.round(call.time),
    step: call.step
  }))

type MetricCall = Extract<Call, { _tag: "metrics" }>

/**
 * Lightning's convention for an epoch or final call: logged at the global step (the last batch
 * step seen), with an `epoch` metric beside epoch values; per-split `count`s are not metrics.
 */
export const atGlobalStep = (call: MetricCall, globalStep: number): MetricCall => {
  if (call.kind === "batch") return call
  const metrics: Record<string, number> = {}
  for (const [name, value] of Object.entries(call.metrics)) if (!name.endsWith("/count")) metrics[name] = value
  if (call.kind === "epoch") metrics.epoch = call.step
  return { ...call, metrics, step: globalStep > 0 ? globalStep : call.step }
}

/**
 * Lightning's step convention over a run's metric calls (see `atGlobalStep`): batch calls set the
 * global step, epoch and final calls are logged at it. A final value is stamped after every
 * earlier point: MLflow's latest value is the greatest (step, timestamp, value), and the kept
 * model's val loss must supersede the last epoch's logged at the same step.
 */
export const globalStepper = (): ((call: MetricCall) => MetricCall) => {
  let globalStep = 0
  let lastTime = 0
  return (call) => {
    if (call.kind === "batch") globalStep = call.step
    const shaped = atGlobalStep(call, globalStep)
    const time = call.kind === "final" ? Math.max(Math.round(call.time), lastTime + 1) : Math.round(call.time)
    lastTime = Math.max(lastTime, time)
    return { ...shaped, time }
  }
}

/** Metrics and params of some calls in MLflow's shape (params as given, metrics in order). */
export const toLogBatch = (calls: ReadonlyArray<Call>): LogBatch => {
  const metrics: Array<MlflowMetric> = []
  const params = new Map<string, string>()
  for (const call of calls) {
    if (call._tag === "params") {
      for (const [key, value] of Object.entries(call.params)) params.set(key, clip(String(value), 6000))
    } else if (call._tag === "metrics") metrics.push(...metricsOf(call))
  }
  return { metrics, params: [...params].map(([key, value]) => ({ key, value })), tags: [] }
}

/**
 * What params a run needs logged, given those the server holds: new keys are params; a key whose
 * value differs becomes the tag `changed.<key>` = `old → new` (MLflow params are immutable).
 */
export const paramsUpdate = (
  known: ReadonlyMap<string, string>,
  params: Readonly<Record<string, string | number | boolean>>
): LogBatch => {
  const fresh: Array<MlflowKeyValue> = []
  const tags: Array<MlflowKeyValue> = []
  for (const [key, raw] of Object.entries(params)) {
    const value = clip(String(raw), 6000)
    const old = known.get(key)
    if (old === undefined) fresh.push({ key, value })
    else if (old !== value) tags.push({ key: `changed.${key}`, value: clip(`${old} → ${value}`, 5000) })
  }
  return { metrics: [], params: fresh, tags }
}

/**
 * Metric requests for a run of metric calls, each made of whole calls where possible (a call with
 * more than 1000 values spans requests), with how many calls are done once it is sent.
 */
const metricRequests = (calls: ReadonlyArray<MetricCall>) => {
  const out: Array<{ metrics: ReadonlyArray<MlflowMetric>; done: number }> = []
  let current: Array<MlflowMetric> = []
  calls.forEach((call, i) => {
    const metrics = metricsOf(call)
    if (current.length > 0 && current.length + metrics.length > logBatchLimits.metrics) {
      out.push({ metrics: current, done: i })
      current = []
    }
    for (let at = 0; at < metrics.length; at += logBatchLimits.metrics) {
      const part = metrics.slice(at, at + logBatchLimits.metrics)
      if (current.length + part.length > logBatchLimits.metrics) {
        out.push({ metrics: current, done: i })
        current = []
      }
      current.push(...part)
    }
  })
  if (current.length > 0) out.push({ metrics: current, done: calls.length })
  return out
}

/** A tracking URI as one spelling: no surrounding blanks, no trailing slashes. */
export const normalizeTrackingUri = (uri: string): string => uri.trim().replace(/\/+$/, "")

/** Credentials from MLFLOW_TRACKING_TOKEN (bearer) or MLFLOW_TRACKING_USERNAME/PASSWORD (basic). */
export const authHeaders = Effect.gen(function*() {
  const headers: Record<string, string> = {}
  const token = yield* Config.option(Config.redacted("MLFLOW_TRACKING_TOKEN"))
  const user = yield* Config.option(Config.string("MLFLOW_TRACKING_USERNAME"))
  const password = yield* Config.option(Config.redacted("MLFLOW_TRACKING_PASSWORD"))
  if (Option.isSome(token)) headers.authorization = `Bearer ${Redacted.value(token.value)}`
  else if (Option.isSome(user) && Option.isSome(password)) {
    const basic = Buffer.from(`${user.value}:${Redacted.value(password.value)}`).toString("base64")
    headers.authorization = `Basic ${basic}`
  }
  return headers
}).pipe(Effect.orElseSucceed((): Record<string, string> => ({})))

const GetRunResponse = Schema.Struct({
  run: Schema.Struct({
    info: Schema.Struct({ run_id: Schema.String, artifact_uri: Schema.optional(Schema.String) }),
    data: Schema.optional(Schema.Struct({
      params: Schema.optional(Schema.Array(Schema.Struct({ key: Schema.String, value: Schema.String })))
    }))
  })
})

/**
 * MLflow over its REST 2.0 API: finds or creates the experiment, creates the run (or reuses the one
 * in `tracking/mlflow.json` on resume), logs params in requests of their own (changed ones as
 * `changed.<key>` tags), tags and metrics with runs/log-batch, and sets the final status. Histograms and
 * text have no MLflow REST equivalent and are not sent.
 */
export const mlflowSpec = (
  info: RunInfo,
  options: MlflowOptions = {}
): Effect.Effect<SinkSpec, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const envUri = yield* Config.option(Config.string("MLFLOW_TRACKING_URI")).pipe(Effect.orElseSucceed(Option.none))
    const given = options.uri ?? Option.getOrUndefined(envUri)
    // one spelling, so that `http://host/` and `http://host` are the same server on resume
    const uri = given === undefined ? undefined : normalizeTrackingUri(given)
    const headers = yield* authHeaders
    const timeoutMs = options.requestTimeoutMs ?? 10_000
    const storeFile = path.join(info.runDir, "tracking", "mlflow.json")

    const call = (method: "GET" | "POST", endpoint: string, body?: unknown): Effect.Effect<JsonResponse, TrackerError> =>
      fetchJson("mlflow", endpoint, { method, url: `${uri ?? ""}/api/2.0/mlflow/${endpoint}`, headers, body, timeoutMs })
    const post = (endpoint: string, body: unknown) => Effect.flatMap(call("POST", endpoint, body), ensureOk("mlflow", endpoint))

    const experimentId = Effect.gen(function*() {
      const name = encodeURIComponent(info.experiment)
      const found = yield* call("GET", `experiments/get-by-name?experiment_name=${name}`)
      if (found.status >= 200 && found.status < 300) {
        return (yield* decodeBody("mlflow", "experiments/get-by-name", ExperimentResponse)(found)).experiment.experiment_id
      }
      if (found.status !== 404) yield* ensureOk("mlflow", "experiments/get-by-name")(found)
      const created = yield* call("POST", "experiments/create", { name: info.experiment })
      if (created.status >= 200 && created.status < 300) {
        return (yield* decodeBody("mlflow", "experiments/create", CreateExperimentResponse)(created)).experiment_id
      }
      // Another run of the sweep may have created it meanwhile.
      const again = yield* Effect.flatMap(
        call("GET", `experiments/get-by-name?experiment_name=${name}`),
        ensureOk("mlflow", "experiments/get-by-name")
      )
      return (yield* decodeBody("mlflow", "experiments/get-by-name", ExperimentResponse)(again)).experiment.experiment_id
    })

    const storedRun = Effect.gen(function*() {
      if (!info.resumed || !(yield* fs.exists(storeFile))) return Option.none()
      const text = yield* fs.readFileString(storeFile)
      return Schema.decodeUnknownOption(Schema.parseJson(StoredRun))(text)
    }).pipe(Effect.orElseSucceed(() => Option.none()))

    /** The stored run when the server still has it, with the params it holds. */
    const reopen = (runId: string) =>
      Effect.gen(function*() {
        const got = yield* call("GET", `runs/get?run_id=${encodeURIComponent(runId)}`)
        if (got.status === 404) return Option.none()
        const run = (yield* Effect.flatMap(ensureOk("mlflow", "runs/get")(got), decodeBody("mlflow", "runs/get", GetRunResponse))).run
        yield* post("runs/update", { run_id: runId, status: "RUNNING" })
        return Option.some(new Map((run.data?.params ?? []).map((p) => [p.key, p.value])))
      })

    const create = (now: number) =>
      Effect.gen(function*() {
        const experiment_id = yield* experimentId
        const tags = [
          { key: "mlflow.runName", value: info.runName },
          { key: "mlflow.source.name", value: "lstm-pipeline" },
          ...sourceTags(),
          ...(info.configText === "" ? [] : [{ key: "mlflow.note.content", value: clip("```yaml\n" + info.configText + "\n```", 5000) }]),
          ...userTags(info.tags)
        ]
        const created = yield* Effect.flatMap(
          post("runs/create", { experiment_id, run_name: info.runName, start_time: now, tags }),
          decodeBody("mlflow", "runs/create", CreateRunResponse)
        )
        const runId = created.run.info.run_id
        const record = JSON.stringify({ run_id: runId, experiment_id, tracking_uri: uri }, null, 2)
        const failStore = toTrackerError("mlflow", storeFile)
        yield* fs.makeDirectory(path.dirname(storeFile), { recursive: true }).pipe(Effect.mapError(failStore))
        yield* fs.writeFileString(`${storeFile}.tmp`, record).pipe(Effect.mapError(failStore))
        yield* fs.rename(`${storeFile}.tmp`, storeFile).pipe(Effect.mapError(failStore))
        return runId
      })

    const open = Effect.gen(function*() {
      if (uri === undefined) {
        return yield* new TrackerError({ backend: "mlflow", reason: "MLFLOW_TRACKING_URI is not set" })
      }
      if (!/^https?:\/\//.test(uri)) {
        return yield* new TrackerError({ backend: "mlflow", reason: `${uri}: only http(s) tracking servers are supported` })
      }
      const now = yield* Clock.currentTimeMillis
      const stored = yield* storedRun
      const reopened = Option.isSome(stored) && normalizeTrackingUri(stored.value.tracking_uri) === uri
        ? Option.map(yield* reopen(stored.value.run_id), (params) => ({ runId: stored.value.run_id, params }))
        : Option.none()
      const runId = Option.isSome(reopened) ? reopened.value.runId : yield* create(now)
      // params the server holds: it refuses a batch that changes one, metrics and all
      const known = Option.isSome(reopened) ? reopened.value.params : new Map<string, string>()
      const logBatch = (batch: LogBatch) =>
        Effect.forEach(splitLogBatch(batch), (part) => post("runs/log-batch", { run_id: runId, ...part }), { discard: true })
      const sendParams = (params: Readonly<Record<string, string | number | boolean>>) =>
        Effect.suspend(() => {
          const update = paramsUpdate(known, params)
          if (update.params.length === 0 && update.tags.length === 0) return Effect.void
          return logBatch(update).pipe(Effect.tap(() =>
            Effect.sync(() => {
              for (const p of update.params) known.set(p.key, p.value)
            })
          ))
        })
      yield* sendParams(info.params)

      // epoch and final values are logged at the last batch step, as Lightning does
      const atStep = globalStepper()
      const write = (calls: ReadonlyArray<Call>) =>
        Effect.suspend(() => {
          // calls fully sent so far: a failure reports the rest as unsent, so nothing is sent twice
          let done = 0
          let refused: TrackerError | undefined
          let metricCalls: Array<MetricCall> = []
          const sendMetrics = Effect.suspend(() => {
            const group = metricCalls
            const base = done
            metricCalls = []
            return Effect.forEach(metricRequests(group), (request) =>
              post("runs/log-batch", { run_id: runId, metrics: request.metrics, params: [], tags: [] }).pipe(
                Effect.tap(() => Effect.sync(() => void (done = base + request.done)))
              ), { discard: true })
          })
          return Effect.gen(function*() {
            for (const item of calls) {
              if (item._tag === "metrics") {
                metricCalls.push(atStep(item))
                continue
              }
              yield* sendMetrics
              // a refused param or tag must not cost the metrics around it
              const sent = item._tag === "params"
                ? sendParams(item.params)
                : item._tag === "tags"
                ? logBatch({ metrics: [], params: [], tags: Object.entries(item.tags).map(([key, value]) => ({ key, value: clip(value, 5000) })) })
                : Effect.void
              yield* sent.pipe(
                Effect.catchAll((e) => e.retriable === true ? Effect.fail(e) : Effect.sync(() => void (refused ??= e)))
              )
              done += 1
            }
            yield* sendMetrics
            if (refused !== undefined) return yield* Effect.fail(refused)
          }).pipe(
            Effect.mapError((error) =>
              new TrackerError({
                backend: error.backend,
                reason: error.reason,
                ...(error.retriable === undefined ? {} : { retriable: error.retriable }),
                unsent: calls.length - done
              })
            )
          )
        })
      return {
        write,
        flush: Effect.void,
        close: (status: RunStatus) =>
          Effect.flatMap(Clock.currentTimeMillis, (end) =>
            post("runs/update", { run_id: runId, status: mlflowStatus(status), end_time: end }))
      }
    })

    return { name: "mlflow", remote: true, appendOnly: true, accepts: ["params", "tags", "metrics"], open }
  })

/** Logs to an MLflow tracking server (REST 2.0); never blocks or fails the run. */
export const layerMlflow = (
  info: RunInfo,
  options: MlflowOptions & FanOutOptions = {}
): Layer.Layer<Tracker, never, FileSystem.FileSystem | Path.Path> =>
  Layer.unwrapEffect(Effect.map(mlflowSpec(info, options), (spec) => layerFromSpecs([spec], options)))
