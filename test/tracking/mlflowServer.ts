import { Effect, type Scope } from "effect"
import { bodyOf, type Loopback, loopbackServer, type Received, type Reply } from "./loopback.js"

/** One run as the fake server holds it. */
export interface FakeRun {
  readonly runId: string
  readonly experimentId: string
  readonly params: Map<string, string>
  readonly tags: Map<string, string>
  readonly metrics: Array<{ readonly key: string; readonly value: number | string; readonly step: number; readonly timestamp: number }>
  readonly artifacts: Map<string, Buffer>
  status: string
  endTime: number | null
}

/** The fake server and what it holds. */
export interface FakeMlflow extends Loopback {
  readonly runs: Map<string, FakeRun>
  /** Metric points of the only run, as `key@step`. */
  readonly points: () => ReadonlyArray<string>
  readonly onlyRun: () => FakeRun
}

const kvs = (value: unknown): ReadonlyArray<{ key: string; value: string }> =>
  Array.isArray(value) ? value.map((kv: { key: string; value: string }) => ({ key: String(kv.key), value: String(kv.value) })) : []

const error = (status: number, code: string, message: string): Reply => ({ status, body: { error_code: code, message } })

/**
 * MLflow's documented REST 2.0 endpoints and its artifact proxy, with the server's rules that
 * matter to a client: params are immutable (a log-batch that changes one is rejected whole),
 * log-batch limits, and runs/get returning params and tags.
 */
export const fakeMlflow = (): Effect.Effect<FakeMlflow, never, Scope.Scope> =>
  Effect.gen(function*() {
    const experiments = new Map<string, string>()
    const runs = new Map<string, FakeRun>()
    const handle = (request: Received): Reply => {
      const artifactPrefix = "/api/2.0/mlflow-artifacts/artifacts/"
      if (request.method === "PUT" && request.path.startsWith(artifactPrefix)) {
        const path = decodeURIComponent(request.path.slice(artifactPrefix.length))
        const match = /^([^/]+)\/([^/]+)\/artifacts\/(.+)$/.exec(path)
        const run = match === null ? undefined : runs.get(match[2]!)
        if (match === null || run === undefined) return error(404, "RESOURCE_DOES_NOT_EXIST", `no run for ${path}`)
        run.artifacts.set(match[3]!, request.raw)
        return { status: 200, body: {} }
      }
      const api = request.path.replace("/api/2.0/mlflow/", "")
      const body = bodyOf(request)
      const runOf = (id: unknown) => runs.get(String(id))
      switch (`${request.method} ${api}`) {
        case "GET experiments/get-by-name": {
          const id = experiments.get(request.query.get("experiment_name") ?? "")
          return id === undefined
            ? error(404, "RESOURCE_DOES_NOT_EXIST", "not found")
            : { status: 200, body: { experiment: { experiment_id: id, name: request.query.get("experiment_name") } } }
        }
        case "POST experiments/create": {
          const id = String(experiments.size + 1)
          experiments.set(String(body.name), id)
          return { status: 200, body: { experiment_id: id } }
        }
        case "POST runs/create": {
          const runId = `run${runs.size + 1}`
          const experimentId = String(body.experiment_id)
          const run: FakeRun = {
            runId,
            experimentId,
            params: new Map(),
            tags: new Map(kvs(body.tags).map((t) => [t.key, t.value])),
            metrics: [],
            artifacts: new Map(),
            status: "RUNNING",
            endTime: null
          }
          runs.set(runId, run)
          const artifact_uri = `mlflow-artifacts:/${experimentId}/${runId}/artifacts`
          return { status: 200, body: { run: { info: { run_id: runId, experiment_id: experimentId, artifact_uri } } } }
        }
        case "GET runs/get": {
          const run = runOf(request.query.get("run_id"))
          if (run === undefined) return error(404, "RESOURCE_DOES_NOT_EXIST", "no such run")
          const artifact_uri = `mlflow-artifacts:/${run.experimentId}/${run.runId}/artifacts`
          return {
            status: 200,
            body: {
              run: {
                info: { run_id: run.runId, experiment_id: run.experimentId, status: run.status, artifact_uri },
                data: {
                  params: [...run.params].map(([key, value]) => ({ key, value })),
                  tags: [...run.tags].map(([key, value]) => ({ key, value }))
                }
              }
            }
          }
        }
        case "POST runs/log-batch": {
          const run = runOf(body.run_id)
          if (run === undefined) return error(404, "RESOURCE_DOES_NOT_EXIST", "no such run")
          const metrics = Array.isArray(body.metrics) ? body.metrics : []
          const params = kvs(body.params)
          const tags = kvs(body.tags)
          if (metrics.length > 1000 || params.length > 100 || tags.length > 100 || metrics.length + params.length + tags.length > 1000) {
            return error(400, "INVALID_PARAMETER_VALUE", "A batch logging request can contain at most 1000 metrics, 100 params and 100 tags")
          }
          for (const p of params) {
            const old = run.params.get(p.key)
            if (old !== undefined && old !== p.value) {
              return error(400, "INVALID_PARAMETER_VALUE", `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old}' for run ID='${run.runId}'. Attempted logging new value '${p.value}'.`)
            }
          }
          for (const p of params) run.params.set(p.key, p.value)
          for (const t of tags) run.tags.set(t.key, t.value)
          for (const m of metrics) run.metrics.push(m)
          return { status: 200, body: {} }
        }
        case "POST runs/set-tag": {
          const run = runOf(body.run_id)
          if (run === undefined) return error(404, "RESOURCE_DOES_NOT_EXIST", "no such run")
          run.tags.set(String(body.key), String(body.value))
          return { status: 200, body: {} }
        }
        case "POST runs/update": {
          const run = runOf(body.run_id)
          if (run === undefined) return error(404, "RESOURCE_DOES_NOT_EXIST", "no such run")
          run.status = String(body.status)
          run.endTime = typeof body.end_time === "number" ? body.end_time : null
          return { status: 200, body: { run_info: { run_id: run.runId, status: run.status } } }
        }
        default:
          return error(404, "ENDPOINT_NOT_FOUND", `${request.method} ${request.path}`)
      }
    }
    const server = yield* loopbackServer(handle)
    const onlyRun = () => {
      if (runs.size !== 1) throw new Error(`expected one run, the server has ${runs.size}`)
      return [...runs.values()][0]!
    }
    return { ...server, runs, onlyRun, points: () => onlyRun().metrics.map((m) => `${m.key}@${m.step}`) }
  })
