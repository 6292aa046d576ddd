import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { createHash } from "node:crypto"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { syncRun } from "../../src/tracking/sync.js"
import { uploadWandbArtifact } from "../../src/tracking/wandbArtifacts.js"
import { fixture, outputDir, runInProcess, set, tempDir } from "../pipeline/helpers.js"
import { fakeMlflow } from "./mlflowServer.js"
import { fakeWandb } from "./wandbServer.js"

const md5 = (bytes: Buffer) => createHash("md5").update(bytes).digest("base64")

/** The W&B settings a user exports (and MLFLOW_TRACKING_URI when given). */
const withWandb = (url: string, mlflow?: string) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map([
    ["WANDB_API_KEY", "secret"],
    ["WANDB_BASE_URL", url],
    ["WANDB_ENTITY", "team"],
    ...(mlflow === undefined ? [] : [["MLFLOW_TRACKING_URI", mlflow] as [string, string]])
  ])))

describe("W&B artifacts", () => {
  it.scopedLive("a run logs model/, plots, report, config, eval and summary as a committed model artifact, as W&B's client does", () =>
    Effect.gen(function*() {
      const server = yield* fakeWandb()
      const out = tempDir()
      const outcome = yield* runInProcess(fixture("tiny.yaml"), [outputDir(out), set("tracking.trackers", "[wandb]")]).program.pipe(
        withWandb(server.url)
      )
      const runDir = outcome.location!.runDir
      const runId = JSON.parse(readFileSync(join(runDir, "tracking", "wandb.json"), "utf8")).run_id as string

      expect(server.artifacts).toHaveLength(1)
      const artifact = server.artifacts[0]!
      expect(artifact.state).toBe("COMMITTED")
      expect(artifact.variables).toMatchObject({
        entityName: "team",
        projectName: "tiny-test",
        runName: runId,
        artifactTypeName: "model",
        artifactCollectionName: `model-${runId}`,
        digestAlgorithm: "MANIFEST_MD5",
        aliases: [{ artifactCollectionName: `model-${runId}`, alias: "latest" }]
      })
      // the same files MLflow gets, byte for byte
      const files = [...artifact.files.keys()].sort()
      for (const file of ["model/model.json", "model/weights.bin", "plots/loss.png", "plots/forecast.png", "report.html", "config.yaml", "eval.json", "summary.json"]) {
        expect(files, file).toContain(file)
      }
      for (const file of files) expect(artifact.files.get(file)!.equals(readFileSync(join(runDir, file))), file).toBe(true)
      // the manifest lists each file with its MD5 and size; the artifact digest is W&B's over it
      const manifest = artifact.manifest as { version: number; storagePolicy: string; contents: Record<string, { digest: string; size: number }> }
      expect(manifest).toMatchObject({ version: 1, storagePolicy: "wandb-storage-policy-v1", storagePolicyConfig: { storageLayout: "V2" } })
      expect(Object.keys(manifest.contents).sort()).toEqual(files)
      for (const file of files) {
        const bytes = readFileSync(join(runDir, file))
        expect(manifest.contents[file]).toMatchObject({ digest: md5(bytes), size: bytes.length })
      }
      const lines = files.map((f) => `${f}:${manifest.contents[f]!.digest}\n`).join("")
      expect(artifact.variables.digest).toBe(createHash("md5").update(`wandb-artifact-manifest-v1\n${lines}`).digest("hex"))
      expect(server.operations().filter((op) => op !== "UpsertBucket")).toEqual([
        "CreateArtifact",
        "CreateArtifactManifest",
        "CreateArtifactFiles",
        "CreateArtifactManifest",
        "CommitArtifact"
      ])

      // the same content again makes no new version; changed content makes the next one, based on the last
      const again = yield* uploadWandbArtifact(runDir).pipe(withWandb(server.url), Effect.provide(NodeContext.layer))
      expect(again).toMatchObject({ artifact: `model-${runId}`, unchanged: true, problem: null })
      expect(server.artifacts).toHaveLength(1)
      writeFileSync(join(runDir, "summary.json"), readFileSync(join(runDir, "summary.json"), "utf8").replace("{", '{"note":"edited",'))
      const changed = yield* uploadWandbArtifact(runDir).pipe(withWandb(server.url), Effect.provide(NodeContext.layer))
      expect(changed).toMatchObject({ unchanged: false, problem: null })
      expect(server.artifacts).toHaveLength(2)
      expect(server.artifacts[1]!.state).toBe("COMMITTED")
      expect(server.artifacts[1]!.files.get("summary.json")?.toString("utf8")).toContain('"note":"edited"')
      const baseOf = server.requests.filter((r) => r.path === "/graphql" && String((r.body as { query: string }).query).includes("createArtifactManifest("))
        .map((r) => (r.body as { variables: Record<string, unknown> }).variables)
        .filter((v) => v.artifactID === server.artifacts[1]!.id)
      expect(baseOf.map((v) => v.baseArtifactID)).toEqual([artifact.id, artifact.id])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("says why nothing was uploaded: no W&B run recorded, or a server that refuses", () =>
    Effect.gen(function*() {
      const server = yield* fakeWandb()
      const empty = tempDir()
      const none = yield* uploadWandbArtifact(empty).pipe(withWandb(server.url))
      expect(none).toMatchObject({ uploaded: [], problem: "no W&B run recorded in tracking/wandb.json" })
      const runDir = tempDir()
      mkdirSync(join(runDir, "tracking"), { recursive: true })
      writeFileSync(join(runDir, "tracking", "wandb.json"), JSON.stringify({ run_id: "abc", entity: "team", project: "p" }))
      writeFileSync(join(runDir, "summary.json"), "{}")
      yield* server.stop
      const down = yield* uploadWandbArtifact(runDir, { requestTimeoutMs: 2000 }).pipe(withWandb(server.url))
      expect(down.problem).toMatch(/^createArtifact: cannot reach http:\/\/127\.0\.0\.1:\d+/)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scopedLive("`runs sync` uploads a finished run's artifacts again, to MLflow and W&B", () =>
    Effect.gen(function*() {
      const wandb = yield* fakeWandb()
      const mlflow = yield* fakeMlflow()
      const out = tempDir()
      const outcome = yield* runInProcess(fixture("tiny.yaml"), [outputDir(out), set("tracking.trackers", "[mlflow, wandb]")]).program.pipe(
        withWandb(wandb.url, mlflow.url)
      )
      const runDir = outcome.location!.runDir
      // as if the uploads at the end of the run had not reached the servers
      mlflow.onlyRun().artifacts.clear()
      wandb.artifacts.splice(0)
      const notes: Array<string> = []
      yield* syncRun(runDir, (line) => Effect.sync(() => void notes.push(line))).pipe(withWandb(wandb.url, mlflow.url))
      expect(mlflow.onlyRun().artifacts.get("summary.json")?.equals(readFileSync(join(runDir, "summary.json")))).toBe(true)
      expect(wandb.artifacts).toHaveLength(1)
      expect(wandb.artifacts[0]!.state).toBe("COMMITTED")
      expect(wandb.artifacts[0]!.files.has("model/weights.bin")).toBe(true)
      expect(notes).toContainEqual(expect.stringMatching(/^mlflow: \d+ artifact\(s\) uploaded$/))
      expect(notes).toContainEqual(expect.stringMatching(/^wandb: artifact model-\w+ logged \(\d+ file\(s\) uploaded\)$/))
    }).pipe(Effect.provide(NodeContext.layer)))
})
