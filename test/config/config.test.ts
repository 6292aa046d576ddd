import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { configLeaves, decodeConfigText, loadConfig, renderConfig } from "../../src/config/loadConfig.js"

const decode = (text: string, overrides: Array<{ path: string; raw: string; source: string }> = []) =>
  decodeConfigText("test.yaml", text, overrides)

describe("config", () => {
  it.effect("fills every default from an empty file", () =>
    Effect.gen(function*() {
      const loaded = yield* decode("")
      expect(loaded.config.train.epochs).toBe(40)
      expect(loaded.config.model.layers).toBe(2)
      expect(loaded.config.data.lookback).toBeGreaterThan(0)
      expect(Object.values(loaded.provenance).every((p) => p === "default")).toBe(true)
    }))

  it.effect("records provenance: default, file and flag", () =>
    Effect.gen(function*() {
      const loaded = yield* decode("train:\n  epochs: 5\nmodel:\n  hidden_size: 32\n", [
        { path: "train.learning_rate", raw: "0.01", source: "--learning-rate" },
        { path: "model.hidden_size", raw: "16", source: "--set" }
      ])
      expect(loaded.config.train.epochs).toBe(5)
      expect(loaded.config.train.learning_rate).toBe(0.01)
      expect(loaded.config.model.hidden_size).toBe(16)
      expect(loaded.provenance["train.epochs"]).toBe("file")
      expect(loaded.provenance["train.learning_rate"]).toBe("flag --learning-rate")
      expect(loaded.provenance["model.hidden_size"]).toBe("flag --set")
      expect(loaded.provenance["train.batch_size"]).toBe("default")
      const shown = renderConfig(loaded, true)
      expect(shown).toMatch(/epochs: 5 #\s*file/)
      expect(shown).toMatch(/learning_rate: 0.01 #\s*flag --learning-rate/)
    }))

  it.effect("types --set values by the schema: strings stay strings, lists split", () =>
    Effect.gen(function*() {
      const loaded = yield* decode("", [
        { path: "experiment", raw: "2024", source: "--set" },
        { path: "tracking.trackers", raw: "jsonl,console", source: "--set" },
        { path: "train.clip_norm", raw: "null", source: "--set" },
        { path: "train.early_stopping.enabled", raw: "false", source: "--set" }
      ])
      expect(loaded.config.experiment).toBe("2024")
      expect(loaded.config.tracking.trackers).toEqual(["jsonl", "console"])
      expect(loaded.config.train.clip_norm).toBeNull()
      expect(loaded.config.train.early_stopping.enabled).toBe(false)
    }))

  it.effect("rejects an unknown --set path with a suggestion", () =>
    Effect.gen(function*() {
      const result = yield* Effect.either(decode("", [{ path: "train.epoch", raw: "3", source: "--set" }]))
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) {
        expect(result.left.message).toContain("train.epoch")
        expect(result.left.message).toContain("Did you mean 'train.epochs'")
      }
    }))

  it.effect("names the file, field, line and allowed values of a bad value", () =>
    Effect.gen(function*() {
      const result = yield* Effect.either(decode("train:\n  epochs: 5\n  optimizer: adma\n"))
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) {
        expect(result.left.field).toBe("train.optimizer")
        expect(result.left.message).toContain("test.yaml")
        expect(result.left.message).toContain("line 3")
        expect(result.left.fix).toContain('"adam"')
      }
    }))

  it.effect("rejects unknown keys with did-you-mean, wrong types and malformed YAML", () =>
    Effect.gen(function*() {
      const unknown = yield* Effect.flip(decode("model:\n  hiden_size: 3\n"))
      expect(unknown.message).toContain("model.hiden_size")
      expect(unknown.message).toContain("Did you mean 'hidden_size'")
      const wrongType = yield* Effect.flip(decode("train:\n  epochs: lots\n"))
      expect(wrongType.field).toBe("train.epochs")
      const negative = yield* Effect.flip(decode("train:\n  batch_size: -4\n"))
      expect(negative.field).toBe("train.batch_size")
      const malformed = yield* Effect.flip(decode("train:\n  epochs: [1, 2\n"))
      expect(malformed.field).toBe("(yaml)")
      expect(malformed.message).toContain("test.yaml")
    }))

  it.effect("reports a missing file by name", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(loadConfig("does/not/exist.yaml", []))
      expect(error.message).toContain("does/not/exist.yaml")
    }).pipe(Effect.provide(NodeContext.layer)))

  it("documents every leaf", () => {
    const undocumented = configLeaves.filter((l) => l.description === "").map((l) => l.path)
    expect(undocumented).toEqual([])
    expect(configLeaves.find((l) => l.path === "train.optimizer")?.type.text).toBe('"adam" | "adamw" | "sgd"')
    expect(configLeaves.find((l) => l.path === "train.epochs")?.type.text).toBe("integer")
  })
})
