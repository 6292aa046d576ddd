import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option, Schema } from "effect"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { SyntheticSource } from "../../src/data/DataConfig.js"
import { generateSynthetic } from "../../src/data/synthetic.js"
import { predict } from "../../src/predict/predict.js"
import { Preprocessing } from "../../src/rundir/files.js"
import { fixture, outputDir, runInProcess, tempDir } from "../pipeline/helpers.js"

describe("predict", () => {
  it.effect("forecasts with the exported model, and refuses model weights that are not the ones the run wrote", () =>
    Effect.gen(function*() {
      const outcome = yield* runInProcess(fixture("tiny.yaml"), [outputDir(tempDir())]).program
      const runDir = outcome.location!.runDir
      const forecast = yield* predict(runDir, Option.none()).pipe(Effect.provide(NodeContext.layer))
      expect(forecast.rows.length).toBeGreaterThan(0)
      expect(Number.isFinite(forecast.rows[0]!.value)).toBe(true)

      const weights = join(runDir, "model", "weights.bin")
      const bytes = new Uint8Array(readFileSync(weights))
      bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x40
      writeFileSync(weights, bytes)
      const exit = yield* Effect.exit(predict(runDir, Option.none()).pipe(Effect.provide(NodeContext.layer)))
      expect(Exit.isFailure(exit)).toBe(true)
      const failure = Exit.isFailure(exit) ? String(exit.cause) : ""
      expect(failure).toContain("RunDirError")
      expect(failure).toContain(weights)
    }))

  it.effect("forecasts every series of a panel model, or those of --series, each in its own units", () =>
    Effect.gen(function*() {
      const outcome = yield* runInProcess(fixture("tiny.yaml"), [outputDir(tempDir())]).program
      const runDir = outcome.location!.runDir
      const single = yield* predict(runDir, Option.none()).pipe(Effect.provide(NodeContext.layer))

      // the same network as a long-format panel model: series a with the run's scaler, series b
      // with its target center 1000 higher, so b's scaled inputs and outputs equal a's
      const file = join(runDir, "model", "preprocessing.json")
      const preprocessing = Schema.decodeUnknownSync(Preprocessing)(JSON.parse(readFileSync(file, "utf8")))
      const { manifest } = preprocessing
      const [entry] = manifest.series
      const shifted = { center: manifest.scaler.center.map((c, f) => (f === 0 ? c + 1000 : c)), scale: manifest.scaler.scale }
      const panelManifest = {
        ...manifest,
        seriesFormat: "long" as const,
        seriesColumn: "id",
        series: [{ ...entry!, id: "a" }, { ...entry!, id: "b", scaler: shifted }]
      }
      writeFileSync(file, JSON.stringify(Schema.encodeSync(Preprocessing)({ ...preprocessing, manifest: panelManifest })))
      const series = generateSynthetic(Schema.decodeUnknownSync(SyntheticSource)({ kind: "synthetic", length: 300, period: 7 }))
      const lines = ["date,id,value"]
      for (let row = 280; row < 300; row++) {
        const value = series.target.values[row]!
        lines.push(`${series.time[row]},b,${value + 1000}`, `${series.time[row]},a,${value}`, `${series.time[row]},new,${value}`)
      }
      const input = join(tempDir(), "recent.csv")
      writeFileSync(input, `${lines.join("\n")}\n`)

      const both = yield* predict(runDir, Option.some(input)).pipe(Effect.provide(NodeContext.layer))
      expect(both.seriesFormat).toBe("long")
      expect(both.series).toEqual([{ id: "a", lastTime: single.lastTime }, { id: "b", lastTime: single.lastTime }])
      expect(both.skipped).toEqual(["new"])
      expect(both.rows.map((row) => [row.series, row.time])).toEqual([
        ...single.rows.map((row) => ["a", row.time]),
        ...single.rows.map((row) => ["b", row.time])
      ])
      const horizon = single.rows.length
      for (let h = 0; h < horizon; h++) {
        expect(both.rows[h]!.value).toBe(single.rows[h]!.value)
        expect(both.rows[horizon + h]!.value).toBeCloseTo(single.rows[h]!.value + 1000, 6)
      }

      const onlyB = yield* predict(runDir, Option.some(input), Option.none(), ["b"]).pipe(Effect.provide(NodeContext.layer))
      expect(onlyB.rows.map((row) => row.series)).toEqual(single.rows.map(() => "b"))
      expect(onlyB.skipped).toEqual([])
      const unknown = yield* Effect.flip(predict(runDir, Option.some(input), Option.none(), ["c"]).pipe(Effect.provide(NodeContext.layer)))
      expect(unknown._tag).toBe("DataConfigInvalid")
      expect(unknown.message).toContain("The model has no series 'c'")
    }))
})
