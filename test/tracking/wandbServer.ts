import { Effect, type Scope } from "effect"
import { createHash } from "node:crypto"
import { bodyOf, type Loopback, loopbackServer, type Received, type Reply } from "./loopback.js"

/** One artifact version as the fake server holds it. */
export interface FakeArtifact {
  readonly id: string
  readonly variables: Record<string, unknown>
  /** Files stored for it, by artifact path (bytes as uploaded). */
  readonly files: Map<string, Buffer>
  /** The manifest JSON uploaded last, parsed. */
  manifest: unknown
  /** The digest createArtifactManifest announced for the uploaded manifest (base64 MD5). */
  manifestDigest: string | null
  state: "PENDING" | "COMMITTED"
}

/** The fake W&B server and what it holds. */
export interface FakeWandb extends Loopback {
  readonly artifacts: Array<FakeArtifact>
  /** GraphQL operation names in the order they were received. */
  readonly operations: () => ReadonlyArray<string>
}

const md5 = (bytes: Buffer): string => createHash("md5").update(bytes).digest("base64")

/**
 * W&B's GraphQL API and file_stream as the HTTP client uses them (upsertBucket, the artifact
 * mutations), with signed-URL-style uploads that check the Content-MD5 they asked for, and
 * digest deduplication: an artifact whose digest is already committed comes back COMMITTED.
 */
export const fakeWandb = (options: { readonly historyLineCount?: number } = {}): Effect.Effect<FakeWandb, never, Scope.Scope> =>
  Effect.gen(function*() {
    const artifacts: Array<FakeArtifact> = []
    const manifests = new Map<string, { artifact: FakeArtifact }>()
    const expected = new Map<string, string>()
    let url = ""
    const ok = (data: unknown): Reply => ({ status: 200, body: { data } })
    const handle = (request: Received): Reply => {
      if (request.method === "PUT" && request.path.startsWith("/upload/")) {
        const key = decodeURIComponent(request.path.slice("/upload/".length))
        const want = expected.get(key)
        if (want === undefined) return { status: 404, body: { error: `no upload URL ${key}` } }
        if (request.headers["content-md5"] !== want || md5(request.raw) !== want) return { status: 400, body: { error: "Content-MD5 mismatch" } }
        const [artifactId, ...rest] = key.split("/")
        const artifact = artifacts.find((a) => a.id === artifactId)!
        const name = rest.join("/")
        if (name === "wandb_manifest.json") artifact.manifest = JSON.parse(request.raw.toString("utf8"))
        else artifact.files.set(name, request.raw)
        return { status: 200, body: {} }
      }
      if (/^\/files\/[^/]+\/[^/]+\/[^/]+\/file_stream$/.test(request.path)) return { status: 200, body: { exitcode: null, limits: {} } }
      if (request.path !== "/graphql") return { status: 404, body: { error: "not found" } }
      const body = bodyOf(request)
      const query = String(body.query)
      const variables = (body.variables ?? {}) as Record<string, unknown>
      const upload = (artifact: FakeArtifact, name: string, digest: string) => {
        const key = `${artifact.id}/${name}`
        expected.set(key, digest)
        return { uploadUrl: `${url}/upload/${encodeURIComponent(key)}`, uploadHeaders: [`Content-MD5:${digest}`, "Content-Type:application/octet-stream"] }
      }
      if (query.includes("upsertBucket(")) {
        return ok({
          upsertBucket: {
            bucket: {
              id: "QnVja2V0OjE=",
              name: variables.name,
              displayName: variables.displayName ?? null,
              historyLineCount: options.historyLineCount ?? 0,
              project: { id: "UHJvamVjdDox", name: variables.project, entity: { id: "RW50aXR5OjE=", name: variables.entity ?? "default-entity" } }
            },
            inserted: true
          }
        })
      }
      if (query.includes("createArtifact(")) {
        const same = artifacts.find((a) => a.state === "COMMITTED" && a.variables.digest === variables.digest && a.variables.artifactCollectionName === variables.artifactCollectionName)
        if (same !== undefined) return ok({ createArtifact: { artifact: { id: same.id, state: "COMMITTED", artifactSequence: { id: "seq", latestArtifact: { id: same.id } } } } })
        const latest = artifacts.filter((a) => a.variables.artifactCollectionName === variables.artifactCollectionName).at(-1)
        const artifact: FakeArtifact = { id: `art${artifacts.length + 1}`, variables, files: new Map(), manifest: null, manifestDigest: null, state: "PENDING" }
        artifacts.push(artifact)
        return ok({ createArtifact: { artifact: { id: artifact.id, state: "PENDING", artifactSequence: { id: "seq", latestArtifact: latest === undefined ? null : { id: latest.id } } } } })
      }
      if (query.includes("createArtifactManifest(")) {
        const artifact = artifacts.find((a) => a.id === variables.artifactID)
        if (artifact === undefined) return { status: 200, body: { errors: [{ message: "no such artifact" }] } }
        const id = `manifest-${artifact.id}`
        manifests.set(id, { artifact })
        const digest = String(variables.digest ?? "")
        if (digest !== "") artifact.manifestDigest = digest
        const file = { id: `file-${id}`, name: "wandb_manifest.json", displayName: "wandb_manifest.json" }
        return ok({
          createArtifactManifest: {
            artifactManifest: { id, file: variables.includeUpload === true ? { ...file, ...upload(artifact, "wandb_manifest.json", digest) } : file }
          }
        })
      }
      if (query.includes("createArtifactFiles(")) {
        const specs = Array.isArray(variables.artifactFiles) ? (variables.artifactFiles as Array<Record<string, unknown>>) : []
        const edges = specs.map((spec) => {
          const artifact = artifacts.find((a) => a.id === spec.artifactID)!
          if (!manifests.has(String(spec.artifactManifestID))) throw new Error("createArtifactFiles before createArtifactManifest")
          const name = String(spec.name)
          return { node: { id: `file-${name}`, name, displayName: name, artifact: { id: artifact.id }, ...upload(artifact, name, String(spec.md5)) } }
        })
        return ok({ createArtifactFiles: { files: { edges } } })
      }
      if (query.includes("commitArtifact(")) {
        const artifact = artifacts.find((a) => a.id === variables.artifactID)
        if (artifact === undefined || artifact.manifest === null) return { status: 200, body: { errors: [{ message: "commit before the manifest was uploaded" }] } }
        artifact.state = "COMMITTED"
        return ok({ commitArtifact: { artifact: { id: artifact.id, digest: artifact.variables.digest } } })
      }
      return { status: 200, body: { errors: [{ message: `unknown operation: ${query.slice(0, 60)}` }] } }
    }
    const server = yield* loopbackServer(handle)
    url = server.url
    const operations = () =>
      server.requests.filter((r) => r.path === "/graphql").map((r) => /(?:mutation|query)\s+(\w+)/.exec(String(bodyOf(r).query))?.[1] ?? "?")
    return { ...server, artifacts, operations }
  })
