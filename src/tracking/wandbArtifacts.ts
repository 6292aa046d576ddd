import { FileSystem, Path } from "@effect/platform"
import { Effect, Option, Schema } from "effect"
import { createHash, randomUUID } from "node:crypto"
import { ensureOk, putBytes } from "./http.js"
import { artifactFiles } from "./runArtifacts.js"
import { describe, TrackerError } from "./Sink.js"
import { StoredRun, type WandbEndpoint, wandbEndpoint, wandbGraphql } from "./Wandb.js"

// The protocol W&B's own client follows to log a run's output artifact (wandb/core's
// ArtifactSaver): createArtifact (deduplicated by digest) → createArtifactManifest →
// createArtifactFiles (upload URLs) → PUT each file → createArtifactManifest with the manifest's
// digest (its upload URL) → PUT the manifest → commitArtifact.

const createArtifactMutation = `mutation CreateArtifact($entityName: String!, $projectName: String!, $artifactTypeName: String!, $artifactCollectionName: String!, $runName: String, $digest: String!, $digestAlgorithm: ArtifactDigestAlgorithm, $description: String, $aliases: [ArtifactAliasInput!], $metadata: JSONString, $clientID: ID!, $sequenceClientID: ID!, $enableDigestDeduplication: Boolean) {
  createArtifact(input: {entityName: $entityName, projectName: $projectName, artifactTypeName: $artifactTypeName, artifactCollectionName: $artifactCollectionName, runName: $runName, digest: $digest, digestAlgorithm: $digestAlgorithm, description: $description, aliases: $aliases, metadata: $metadata, clientID: $clientID, sequenceClientID: $sequenceClientID, enableDigestDeduplication: $enableDigestDeduplication}) {
    artifact { id state artifactSequence { id latestArtifact { id versionIndex } } }
  }
}`

const createManifestMutation = `mutation CreateArtifactManifest($name: String!, $digest: String!, $artifactID: ID!, $baseArtifactID: ID, $entityName: String!, $projectName: String!, $runName: String!, $includeUpload: Boolean!, $type: ArtifactManifestType = FULL) {
  createArtifactManifest(input: {name: $name, digest: $digest, artifactID: $artifactID, baseArtifactID: $baseArtifactID, entityName: $entityName, projectName: $projectName, runName: $runName, type: $type}) {
    artifactManifest { id file { id name displayName uploadUrl @include(if: $includeUpload) uploadHeaders @include(if: $includeUpload) } }
  }
}`

const createFilesMutation = `mutation CreateArtifactFiles($storageLayout: ArtifactStorageLayout!, $artifactFiles: [CreateArtifactFileSpecInput!]!) {
  createArtifactFiles(input: {artifactFiles: $artifactFiles, storageLayout: $storageLayout}) {
    files { edges { node { id name displayName uploadUrl uploadHeaders artifact { id } } } }
  }
}`

const commitMutation = `mutation CommitArtifact($artifactID: ID!) {
  commitArtifact(input: {artifactID: $artifactID}) { artifact { id digest } }
}`

const CreatedArtifact = Schema.Struct({
  data: Schema.Struct({
    createArtifact: Schema.Struct({
      artifact: Schema.Struct({
        id: Schema.String,
        state: Schema.String,
        artifactSequence: Schema.optional(Schema.NullOr(Schema.Struct({
          latestArtifact: Schema.optional(Schema.NullOr(Schema.Struct({ id: Schema.String })))
        })))
      })
    })
  })
})

const UploadTarget = Schema.Struct({
  uploadUrl: Schema.optional(Schema.NullOr(Schema.String)),
  uploadHeaders: Schema.optional(Schema.NullOr(Schema.Array(Schema.String)))
})

const CreatedManifest = Schema.Struct({
  data: Schema.Struct({
    createArtifactManifest: Schema.Struct({
      artifactManifest: Schema.Struct({ id: Schema.String, file: UploadTarget })
    })
  })
})

const CreatedFiles = Schema.Struct({
  data: Schema.Struct({
    createArtifactFiles: Schema.Struct({
      files: Schema.Struct({
        edges: Schema.Array(Schema.Struct({
          node: Schema.extend(UploadTarget, Schema.Struct({ name: Schema.String, artifact: Schema.Struct({ id: Schema.String }) }))
        }))
      })
    })
  })
})

const Committed = Schema.Struct({ data: Schema.Struct({ commitArtifact: Schema.Unknown }) })

/** Base64 of a file's MD5: the digest W&B's manifests and upload checks use. */
export const b64Md5 = (bytes: Uint8Array): string => createHash("md5").update(bytes).digest("base64")

/** An artifact's digest as W&B computes it from its manifest: hex MD5 over the sorted `path:digest` lines. */
export const artifactDigest = (entries: ReadonlyArray<{ readonly path: string; readonly digest: string }>): string => {
  const hash = createHash("md5").update("wandb-artifact-manifest-v1\n")
  for (const e of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) hash.update(`${e.path}:${e.digest}\n`)
  return hash.digest("hex")
}

/** `["Content-MD5:abc", "Content-Type: x"]` → headers, as W&B sends upload headers. */
const parseHeaders = (lines: ReadonlyArray<string>): Record<string, string> =>
  Object.fromEntries(lines.flatMap((line) => {
    const at = line.indexOf(":")
    return at <= 0 ? [] : [[line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()]]
  }))

/** The result of an artifact upload: what was sent, or why nothing was. */
export interface WandbArtifactUpload {
  /** `<name>` of the artifact (its version is assigned by the server). */
  readonly artifact: string | null
  readonly uploaded: ReadonlyArray<string>
  /** The server already had an artifact with this content: no new version was made. */
  readonly unchanged: boolean
  readonly problem: string | null
}

const put = (endpoint: WandbEndpoint, what: string, target: typeof UploadTarget.Type, body: Uint8Array) =>
  target.uploadUrl === undefined || target.uploadUrl === null
    ? Effect.fail(new TrackerError({ backend: "wandb", reason: `${what}: the server gave no upload URL` }))
    : putBytes("wandb", what, { url: target.uploadUrl, headers: parseHeaders(target.uploadHeaders ?? []), body, timeoutMs: endpoint.timeoutMs }).pipe(
      Effect.flatMap(ensureOk("wandb", what))
    )

/**
 * Log the run's exported model, plots, report, config, eval and summary (and `checkpoints/` with
 * `checkpoints`) as an output artifact `model-<run id>` (type `model`, alias `latest`, as
 * Lightning's WandbLogger names it) of the W&B run in `tracking/wandb.json`, through the same
 * GraphQL mutations and upload URLs W&B's client uses. Unchanged content makes no new version.
 * It never fails the run: a problem is returned.
 */
export const uploadWandbArtifact = Effect.fn("Tracking.uploadWandbArtifact")(function*(
  runDir: string,
  options: { readonly baseUrl?: string; readonly checkpoints?: boolean; readonly requestTimeoutMs?: number } = {}
) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const nothing = (problem: string): WandbArtifactUpload => ({ artifact: null, uploaded: [], unchanged: false, problem })
  const stored = yield* fs.readFileString(path.join(runDir, "tracking", "wandb.json")).pipe(
    Effect.map((text) => Schema.decodeUnknownOption(Schema.parseJson(StoredRun))(text)),
    Effect.orElseSucceed(() => Option.none())
  )
  if (Option.isNone(stored)) return nothing("no W&B run recorded in tracking/wandb.json")
  const found = yield* wandbEndpoint({ ...options, requestTimeoutMs: options.requestTimeoutMs ?? 30_000 })
  if (Option.isNone(found)) return nothing("WANDB_API_KEY is not set")
  const endpoint = found.value
  const { run_id: runName, entity: entityName, project: projectName } = stored.value
  const name = `model-${runName}`

  const upload = Effect.gen(function*() {
    const files = yield* Effect.forEach(yield* artifactFiles(runDir, options), (file) =>
      fs.readFile(path.join(runDir, file)).pipe(
        Effect.map((bytes) => [{ path: file, bytes, digest: b64Md5(bytes) }]),
        Effect.orElseSucceed(() => [])
      ))
    const entries = files.flat()
    if (entries.length === 0) return nothing("the run directory has no artifacts to upload")
    const digest = artifactDigest(entries)
    const created = (yield* wandbGraphql(endpoint, "createArtifact", createArtifactMutation, {
      entityName,
      projectName,
      runName,
      artifactTypeName: "model",
      artifactCollectionName: name,
      digest,
      digestAlgorithm: "MANIFEST_MD5",
      description: "The exported model, plots, report, config, evaluation and summary of an lstm-pipeline run",
      aliases: [{ artifactCollectionName: name, alias: "latest" }],
      metadata: JSON.stringify({ files: entries.length, bytes: entries.reduce((n, e) => n + e.bytes.length, 0) }),
      clientID: randomUUID(),
      sequenceClientID: randomUUID(),
      enableDigestDeduplication: true
    }, CreatedArtifact)).data.createArtifact.artifact
    if (created.state === "COMMITTED") return { artifact: name, uploaded: [], unchanged: true, problem: null } satisfies WandbArtifactUpload
    const artifactID = created.id
    const baseArtifactID = created.artifactSequence?.latestArtifact?.id ?? null
    const manifestVariables = { name: "wandb_manifest.json", artifactID, baseArtifactID, entityName, projectName, runName, type: "FULL" }
    const manifest = (yield* wandbGraphql(endpoint, "createArtifactManifest", createManifestMutation, {
      ...manifestVariables,
      digest: "",
      includeUpload: false
    }, CreatedManifest)).data.createArtifactManifest.artifactManifest
    const targets = (yield* wandbGraphql(endpoint, "createArtifactFiles", createFilesMutation, {
      storageLayout: "V2",
      artifactFiles: entries.map((e) => ({ artifactID, name: e.path, md5: e.digest, artifactManifestID: manifest.id }))
    }, CreatedFiles)).data.createArtifactFiles.files.edges.map((edge) => edge.node)
    const byName = new Map(targets.map((t) => [t.name, t]))
    const uploaded: Array<string> = []
    const birth = new Map<string, string>()
    for (const entry of entries) {
      const target = byName.get(entry.path)
      if (target === undefined) return yield* new TrackerError({ backend: "wandb", reason: `createArtifactFiles: no upload URL for ${entry.path}` })
      birth.set(entry.path, target.artifact.id)
      // no URL: the server already stores a file with this digest
      if (target.uploadUrl === undefined || target.uploadUrl === null) continue
      yield* put(endpoint, `artifact file ${entry.path}`, target, entry.bytes)
      uploaded.push(entry.path)
    }
    const manifestBytes = new TextEncoder().encode(JSON.stringify({
      version: 1,
      storagePolicy: "wandb-storage-policy-v1",
      storagePolicyConfig: { storageLayout: "V2" },
      contents: Object.fromEntries(entries.map((e) => [e.path, { digest: e.digest, birthArtifactID: birth.get(e.path) ?? artifactID, size: e.bytes.length }]))
    }))
    const manifestTarget = (yield* wandbGraphql(endpoint, "createArtifactManifest", createManifestMutation, {
      ...manifestVariables,
      digest: b64Md5(manifestBytes),
      includeUpload: true
    }, CreatedManifest)).data.createArtifactManifest.artifactManifest.file
    yield* put(endpoint, "artifact manifest", manifestTarget, manifestBytes)
    yield* wandbGraphql(endpoint, "commitArtifact", commitMutation, { artifactID }, Committed)
    return { artifact: name, uploaded: uploaded as ReadonlyArray<string>, unchanged: false, problem: null } satisfies WandbArtifactUpload
  })
  return yield* upload.pipe(Effect.catchAll((error: TrackerError) => Effect.succeed(nothing(describe(error)))))
})
