/** Real `pipeline run` processes for the resume tests: spawn, signal, and read what they leave. */
import { type ChildProcess, spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Rng } from "../../src/random/Rng.js"

/** The repository root. */
export const root = resolve(new URL("../..", import.meta.url).pathname)
const bin = join(root, "dist", "bin.js")

const newestMtime = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
    const p = join(dir, entry.name)
    return Math.max(latest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }, 0)

/** Throws with how to fix it unless dist/bin.js exists and is newer than every file in src/. */
export const requireBuild = (): void => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build first (\`make test\` or \`node src/scripts/build.mjs\`)`)
  if (newestMtime(join(root, "src")) > statSync(bin).mtimeMs) {
    throw new Error(`${bin} is older than src/: rebuild first (\`make test\` or \`node src/scripts/build.mjs\`)`)
  }
}

/** A config fixture of this folder. */
export const fixture = (name: string): string => join(root, "test", "fixtures", "resume", name)

/** A fresh temporary directory. */
export const tempDir = (label: string): string => mkdtempSync(join(tmpdir(), `lstm-resume-${label}-`))

/** How a process ended and what it printed. */
export interface Ended {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** A running `pipeline` process. */
export interface Running {
  readonly child: ChildProcess
  readonly ended: Promise<Ended>
  /** Everything written to stderr so far. */
  readonly stderr: () => string
  readonly exited: () => boolean
}

/** Starts `node dist/bin.js <args>` in the repository root. */
export const start = (args: ReadonlyArray<string>): Running => {
  const child = spawn(process.execPath, ["--experimental-wasm-relaxed-simd", "--no-warnings", bin, ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  let done = false
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()))
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()))
  const ended = new Promise<Ended>((res, rej) => {
    child.on("error", rej)
    child.on("close", (code, signal) => {
      done = true
      res({ code, signal, stdout, stderr })
    })
  })
  return { child, ended, stderr: () => stderr, exited: () => done }
}

/** Runs `node dist/bin.js <args>` to the end. */
export const run = (args: ReadonlyArray<string>): Promise<Ended> => start(args).ended

/** `pipeline run <config> --output-dir <out> --run-name <name> --no-progress <extra>` */
export const runArgs = (config: string, out: string, name: string, extra: ReadonlyArray<string> = []): Array<string> => [
  "run",
  config,
  "--output-dir",
  out,
  "--run-name",
  name,
  "--no-progress",
  ...extra
]

/** Polls `check` every 5 ms until it is true; false when `timeoutMs` passes or `stop()` first. */
export const waitUntil = async (check: () => boolean, timeoutMs: number, stop: () => boolean = () => false): Promise<boolean> => {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (check()) return true
    if (stop()) return check()
    await new Promise((r) => setTimeout(r, 5))
  }
  return check()
}

/** A seeded uniform generator for reproducible kill points. */
export const seeded = (seed: number) => {
  const rng = new Rng(seed)
  return (): number => rng.uniform()
}

/** summary.json of a run directory. */
export const summaryOf = (runDir: string): { status: string; weights_sha256: string | null; best_epoch: number | null; epochs_completed: number; stopped_early: boolean; resumed_from: string | null } =>
  JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8"))

/** The steps of each kind in metrics.jsonl, in file order. */
export const metricSteps = (runDir: string): Record<string, Array<number>> => {
  const steps: Record<string, Array<number>> = {}
  const text = readFileSync(join(runDir, "metrics.jsonl"), "utf8")
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue
    const { kind, step } = JSON.parse(line) as { kind: string; step: number }
    ;(steps[kind] ??= []).push(step)
  }
  return steps
}

/** 1..n */
export const oneTo = (n: number): Array<number> => Array.from({ length: n }, (_, i) => i + 1)

/** Checkpoint directory names, sorted. */
export const checkpointNames = (runDir: string): Array<string> => {
  const dir = join(runDir, "checkpoints")
  return existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith(".")).sort() : []
}

const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex")

/**
 * Checks a checkpoint directory independently of the code under test: DONE holds the sha256 of
 * MANIFEST.json, and every file the manifest lists has its size and sha256. Returns the problem or null.
 */
export const checkpointProblem = (dir: string): string | null => {
  if (!existsSync(join(dir, "DONE"))) return "no DONE"
  if (!existsSync(join(dir, "MANIFEST.json"))) return "no MANIFEST.json"
  const manifestBytes = readFileSync(join(dir, "MANIFEST.json"))
  if (readFileSync(join(dir, "DONE"), "utf8").trim() !== sha256(manifestBytes)) return "DONE ≠ sha256(MANIFEST.json)"
  const manifest = JSON.parse(manifestBytes.toString("utf8")) as { files: Record<string, { size: number; sha256: string }> }
  for (const [name, entry] of Object.entries(manifest.files)) {
    if (!existsSync(join(dir, name))) return `${name} missing`
    const bytes = readFileSync(join(dir, name))
    if (bytes.length !== entry.size || sha256(bytes) !== entry.sha256) return `${name} does not match the manifest`
  }
  return null
}

/** The `train_state` a checkpoint holds. */
export const trainStateOf = (dir: string): { epoch: number; step: number; batch_in_epoch: number } =>
  (JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { meta: { train_state: { epoch: number; step: number; batch_in_epoch: number } } }).meta
    .train_state

/** Copies a run's output directory (run dir and stage cache) to a new temporary one. */
export const copyOutput = (from: string, label: string): string => {
  const to = tempDir(label)
  cpSync(from, to, { recursive: true })
  return to
}

/** The words of a POSIX shell command line as `shellWord` quotes them (plain words and '…'). */
export const shellWords = (line: string): Array<string> =>
  Array.from(line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g), (m) => (m[1] !== undefined ? m[1].replaceAll(`'\\''`, "'") : m[2]!))

/** Run `config` once, uninterrupted, as run `name`: the weights and metric steps every resumed run must match. */
export const referenceRun = async (config: string, label: string, runDirOf: (out: string) => string) => {
  const out = tempDir(label)
  const ended = await run(runArgs(config, out, "r"))
  if (ended.code !== 0) throw new Error(`the reference run failed (exit ${ended.code}):\n${ended.stderr}`)
  const summary = summaryOf(runDirOf(out))
  return { out, summary, sha: summary.weights_sha256 ?? "", steps: metricSteps(runDirOf(out)) }
}
