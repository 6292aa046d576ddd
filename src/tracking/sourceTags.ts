import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { userInfo } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** This tool's version, from the nearest package.json named lstm-pipeline above this module (src/ or dist/). */
const toolVersion = (): string => {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    try {
      const manifest: unknown = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
      if (typeof manifest === "object" && manifest !== null && "name" in manifest && manifest.name === "lstm-pipeline") {
        return "version" in manifest && typeof manifest.version === "string" ? manifest.version : "unknown"
      }
    } catch {
      // no package.json here: look further up
    }
    dir = dirname(dir)
  }
  return "unknown"
}

const gitCommit = (): string | undefined => {
  const result = spawnSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", timeout: 2000, stdio: ["ignore", "pipe", "ignore"] })
  const commit = result.status === 0 ? result.stdout.trim() : ""
  return /^[0-9a-f]{40}$/.test(commit) ? commit : undefined
}

const user = (): string | undefined => {
  try {
    return userInfo().username
  } catch {
    return undefined
  }
}

/** Where a run started here comes from: the git commit (inside a repository), the user and the tool version. */
export const sourceInfo = (): { readonly commit: string | undefined; readonly user: string | undefined; readonly version: string } => ({
  commit: gitCommit(),
  user: user(),
  version: toolVersion()
})

/** MLflow's source tags for a run started here: the git commit (inside a repository), the user and the tool version. */
export const sourceTags = (): ReadonlyArray<{ readonly key: string; readonly value: string }> => {
  const { commit, user: name, version } = sourceInfo()
  return [
    ...(commit === undefined ? [] : [{ key: "mlflow.source.git.commit", value: commit }]),
    ...(name === undefined ? [] : [{ key: "mlflow.user", value: name }]),
    { key: "lstm_pipeline.version", value: version }
  ]
}
