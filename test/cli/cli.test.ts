import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "..", "..")
const bin = join(root, "dist", "bin.js")
const fixtures = join(root, "test", "fixtures")

/** Run the real CLI (the bundle `./pipeline` runs) and capture everything. */
const pipeline = (args: ReadonlyArray<string>) => {
  const result = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--no-warnings", bin, ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

const temp = () => mkdtempSync(join(tmpdir(), "lstm-cli-"))

/** Write a config into a temp dir (CSV paths resolve next to it). */
const config = (yaml: string): { readonly file: string; readonly out: string } => {
  const dir = temp()
  const file = join(dir, "config.yaml")
  writeFileSync(file, yaml)
  return { file, out: join(dir, "runs") }
}

const base = `
experiment: cli
data: { source: { kind: synthetic, length: 200 }, lookback: 8 }
model: { layers: 1, hidden_size: 4 }
train: { epochs: 1 }
runtime: { threads: 1 }
tracking: { trackers: [jsonl] }
`

/** One clear message, a fix, exit 2, no stack trace, and no run directory left behind. */
const expectBadInput = (result: ReturnType<typeof pipeline>, out: string | null, ...mentions: ReadonlyArray<string>) => {
  expect(result.code, result.stderr).toBe(2)
  expect(result.stderr).toMatch(/^error: /m)
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
  for (const m of mentions) expect(result.stderr).toContain(m)
  if (out !== null) expect(existsSync(out) ? readdirSync(out).filter((n) => n !== ".cache") : []).toEqual([])
}

beforeAll(() => {
  if (!existsSync(bin)) throw new Error("dist/bin.js is missing: run `npm run build` (make test does) first")
})

describe("pipeline CLI", () => {
  it("answers --help", () => {
    const result = pipeline(["--help"])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("run")
    expect(result.stdout).toContain("predict")
  })

  it("trains end to end: exit 0, run directory with an exported model, then predicts with it", () => {
    const { file, out } = config(base)
    const run = pipeline(["run", file, "--output-dir", out, "--no-progress", "--tags", "a", "--tags", "b"])
    expect(run.code, run.stderr).toBe(0)
    const runs = readdirSync(join(out, "cli"))
    expect(runs).toHaveLength(1)
    const runDir = join(out, "cli", runs[0]!)
    for (const name of ["config.yaml", "summary.json", "metrics.jsonl", "model/model.json", "model/weights.bin"]) {
      expect(existsSync(join(runDir, name)), name).toBe(true)
    }
    expect(run.stdout).toContain(runDir)
    expect(run.stdout).toMatch(/seasonal naive/)
    expect(run.stderr).toMatch(/epoch 1\/1/)

    const predicted = pipeline(["predict", runDir, "--json"])
    expect(predicted.code, predicted.stderr).toBe(0)
    const forecast = JSON.parse(predicted.stdout)
    expect(forecast.rows).toHaveLength(1)
    expect(Number.isFinite(forecast.rows[0].value)).toBe(true)
    expect(forecast.rows[0].series).toBe("value")

    const chosen = pipeline(["predict", runDir, "--series", "value"])
    expect(chosen.code, chosen.stderr).toBe(0)
    expect(chosen.stdout).toMatch(/^forecast of value after \d{4}-\d{2}-\d{2}:/)
    expectBadInput(pipeline(["predict", runDir, "--series", "valu"]), null, "The model has no series 'valu'", "Did you mean 'value'?", "--series value")
  })

  it("shows the resolved config with provenance", () => {
    const { file } = config(base)
    const shown = pipeline(["config", "show", file, "--epochs", "5", "--set", "model.dropout=0.1"])
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toMatch(/epochs: 5 # flag --epochs/)
    expect(shown.stdout).toMatch(/dropout: 0.1 # flag --set/)
    expect(shown.stdout).toMatch(/hidden_size: 4 # file/)
    expect(shown.stdout).toMatch(/beta1: 0.9 # default/)
  })

  it("lists devices with reasons", () => {
    const result = pipeline(["devices", "--json"])
    expect(result.code, result.stderr).toBe(0)
    const devices = JSON.parse(result.stdout)
    expect(JSON.stringify(devices)).toContain("tensorflow")
  })

  it("stops a diverging run with exit 1, names the last good checkpoint and keeps it", () => {
    const { file, out } = config(base.replace("epochs: 1", "epochs: 40"))
    const result = pipeline([
      "run", file, "--output-dir", out, "--no-progress",
      "--set", "train.optimizer=sgd", "--learning-rate", "10", "--set", "train.clip_norm=null"
    ])
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toMatch(/error: training diverged: loss is (NaN|-?Infinity)/)
    const checkpoint = result.stderr.match(/last good checkpoint is (\S+);/)?.[1]
    expect(checkpoint).toBeDefined()
    expect(existsSync(join(checkpoint!, "DONE"))).toBe(true)
    const runDir = join(checkpoint!, "..", "..")
    expect(JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8")).status).toBe("failed")
  })

  describe("bad input: one message naming file and field, exit 2, nothing written", () => {
    it("missing config file", () => expectBadInput(pipeline(["run", "nope/missing.yaml"]), null, "nope/missing.yaml"))

    it("malformed YAML", () => {
      const { file, out } = config("train:\n  epochs: [1, 2\n")
      expectBadInput(pipeline(["run", file, "--output-dir", out]), out, file, "malformed YAML")
    })

    it("wrong type", () => {
      const { file, out } = config(base.replace("epochs: 1", "epochs: many"))
      expectBadInput(pipeline(["run", file, "--output-dir", out]), out, "train.epochs", "line")
    })

    it("unknown key, with a suggestion", () => {
      const { file, out } = config(base + "\nmodel_size: 3\n")
      expectBadInput(pipeline(["run", file, "--output-dir", out]), out, "model_size", "unknown key")
      const typo = config(base.replace("hidden_size", "hiden_size"))
      expectBadInput(pipeline(["run", typo.file, "--output-dir", typo.out]), typo.out, "hidden_size")
    })

    it("bad flag values and unknown --set paths", () => {
      const { file, out } = config(base)
      expectBadInput(pipeline(["run", file, "--output-dir", out, "--epochs", "lots"]), out, "train.epochs", "--epochs")
      expectBadInput(pipeline(["run", file, "--output-dir", out, "--set", "train.epoch=3"]), out, "train.epochs")
      expectBadInput(pipeline(["run", file, "--output-dir", out, "--set", "noequals"]), out, "--set")
      const device = pipeline(["run", file, "--output-dir", out, "--device", "tpu"])
      expect(device.code).toBe(2)
    })

    // issue 11: `--gpu N` is an explicit request; the earlier warned CPU fallback under auto is gone
    it("a GPU that is not there: an error for an explicit device and for --gpu under --device auto", () => {
      const { file, out } = config(base)
      expectBadInput(pipeline(["run", file, "--output-dir", out, "--device", "tensorflow"]), out, "tensorflow")
      expectBadInput(pipeline(["run", file, "--output-dir", out, "--device", "webgpu", "--gpu", "0"]), out, "webgpu")
      expectBadInput(pipeline(["run", file, "--output-dir", out, "--gpu", "0", "--no-progress"]), out, "--gpu 0", "no hardware GPU")
    })

    it("missing CSV file, missing column, non-numeric cell", () => {
      const csv = (source: string) => config(base.replace("{ kind: synthetic, length: 200 }", source))
      const missing = csv(`{ kind: csv, path: nowhere.csv, time_column: date, target_column: units }`)
      expectBadInput(pipeline(["run", missing.file, "--output-dir", missing.out]), missing.out, "nowhere.csv")
      const sales = join(fixtures, "data", "sales.csv")
      const column = csv(`{ kind: csv, path: ${sales}, time_column: date, target_column: unit }`)
      expectBadInput(pipeline(["run", column.file, "--output-dir", column.out]), column.out, "unit", "units")
      const cell = csv(`{ kind: csv, path: ${join(fixtures, "cli", "bad-cell.csv")}, time_column: date, target_column: units }`)
      expectBadInput(pipeline(["run", cell.file, "--output-dir", cell.out]), cell.out, "oops", "units", "4")
    })

    it("panel CSV: unknown series column, duplicate (series, time) rows", () => {
      const csv = (source: string) => config(base.replace("{ kind: synthetic, length: 200 }", source))
      const file = join(fixtures, "cli", "panel-duplicate.csv")
      const column = csv(`{ kind: csv, path: ${file}, time_column: date, series_column: shop, target_column: units }`)
      expectBadInput(pipeline(["run", column.file, "--output-dir", column.out]), column.out, "no column 'shop'", "data.source.series_column")
      const duplicate = csv(`{ kind: csv, path: ${file}, time_column: date, series_column: store, target_column: units }`)
      expectBadInput(pipeline(["run", duplicate.file, "--output-dir", duplicate.out]), duplicate.out, "Rows 3 and 5", "series 'south'")
    })

    it("series shorter than lookback + horizon, impossible split", () => {
      const short = config(base.replace("{ kind: synthetic, length: 200 }", `{ kind: csv, path: ${join(fixtures, "cli", "short.csv")}, time_column: date, target_column: units }`).replace("lookback: 8", "lookback: 20"))
      expectBadInput(pipeline(["run", short.file, "--output-dir", short.out]), short.out, "lookback")
      const split = config(base.replace("lookback: 8", "lookback: 8, horizon: 3, split: { train: 0.895, val: 0.1, test: 0.005 }"))
      expectBadInput(pipeline(["run", split.file, "--output-dir", split.out]), split.out, "test")
      const sum = config(base.replace("lookback: 8", "lookback: 8, split: { train: 0.8, val: 0.15, test: 0.15 }"))
      expectBadInput(pipeline(["run", sum.file, "--output-dir", sum.out]), sum.out, "data.split")
    })
  })
})
