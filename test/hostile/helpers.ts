import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect } from "vitest"

const root = join(import.meta.dirname, "..", "..")
/** The bundle `./pipeline` runs (PIPELINE_BIN points the suite at another build, e.g. an older one to compare). */
export const bin = process.env["PIPELINE_BIN"] ?? join(root, "dist", "bin.js")

/** What a CLI run left: exit code, output and how long it took. */
export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly wallMs: number
}

/**
 * Runs the real CLI in a child process and captures everything; `timeoutMs` kills it, so a hang
 * shows up as a null exit code rather than a stuck test.
 */
export const pipeline = (args: ReadonlyArray<string>, options: { readonly timeoutMs?: number; readonly nodeArgs?: ReadonlyArray<string> } = {}): CliResult => {
  const started = Date.now()
  const result = spawnSync(
    process.execPath,
    ["--experimental-wasm-relaxed-simd", "--no-warnings", ...(options.nodeArgs ?? []), bin, ...args],
    // SIGKILL: a process stuck in an uninterruptible read ignores SIGTERM, and the test must not hang with it
    { cwd: root, encoding: "utf8", timeout: options.timeoutMs ?? 60_000, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024 }
  )
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, wallMs: Date.now() - started }
}

/** A fresh temporary directory. */
export const temp = (): string => mkdtempSync(join(tmpdir(), "lstm-hostile-"))

/** Writes `files` into a fresh directory and returns it. */
export const workspace = (files: Readonly<Record<string, string | Uint8Array>>): string => {
  const dir = temp()
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  return dir
}

/** A config for a tiny, fast model over `data` (a `data:` mapping in YAML flow style). */
export const tinyConfig = (data: string): string => `
experiment: hostile
data: ${data}
model: { layers: 1, hidden_size: 4 }
train: { epochs: 1 }
runtime: { threads: 1 }
tracking: { trackers: [jsonl] }
`

/** A CSV source over `file` with time column t and target y, no calendar features. */
export const csvData = (file: string, extra = ""): string =>
  `{ source: { kind: csv, path: ${file}, time_column: t, target_column: y${extra} }, lookback: 4, calendar: { day_of_week: false, day_of_year: false } }`

/** `rows` lines of `t,y` with a varying y. */
export const numericCsv = (rows: number, header = "t,y", separator = ","): string =>
  [header, ...Array.from({ length: rows }, (_, i) => `${i}${separator}${(10 + Math.sin(i) * 3).toFixed(4)}`)].join("\n") + "\n"

/** One clear message and a fix, exit 2, no stack trace, and no run directory left behind in `out`. */
export const expectBadInput = (result: CliResult, out: string | null, ...mentions: ReadonlyArray<string | RegExp>) => {
  expect(result.code, result.stderr).toBe(2)
  expect(result.stderr).toMatch(/^error: /m)
  expect(result.stderr).toMatch(/^ {2}fix: \S/m)
  expect(result.stderr.match(/^error: /gm)).toHaveLength(1)
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
  expect(result.stderr).not.toContain("internal error")
  for (const m of mentions) {
    if (typeof m === "string") expect(result.stderr).toContain(m)
    else expect(result.stderr).toMatch(m)
  }
  if (out !== null) expect(existsSync(out) ? readdirSync(out).filter((n) => n !== ".cache") : []).toEqual([])
}

/** Rewrites a written directory's MANIFEST.json and DONE so its files verify again (as an attacker would). */
export const reseal = (dir: string): void => {
  const manifestFile = join(dir, "MANIFEST.json")
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as { files: Record<string, { size: number; sha256: string }> }
  for (const name of Object.keys(manifest.files)) {
    const bytes = readFileSync(join(dir, name))
    manifest.files[name] = { size: bytes.byteLength, sha256: createHash("sha256").update(bytes).digest("hex") }
  }
  const text = JSON.stringify(manifest, null, 2) + "\n"
  writeFileSync(manifestFile, text)
  writeFileSync(join(dir, "DONE"), createHash("sha256").update(text).digest("hex") + "\n")
}
