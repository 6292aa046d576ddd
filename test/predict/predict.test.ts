import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { predict } from "../../src/predict/predict.js"
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
})
