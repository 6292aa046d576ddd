import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { ashaPrunes, percentile, rungsOf } from "../../src/sweep/asha.js"
import { loadSweep } from "../../src/sweep/loadSweep.js"
import { gridOf, randomOf } from "../../src/sweep/space.js"
import { trialIdOf } from "../../src/sweep/trialId.js"

const tiny = resolve(import.meta.dirname, "..", "..", "configs", "tiny.yaml")

/** Writes a sweep file over configs/tiny.yaml and plans it. */
const plan = (body: string, overrides: Array<{ path: string; raw: string; source: string }> = []) => {
  const dir = mkdtempSync(join(tmpdir(), "lstm-sweep-plan-"))
  const file = join(dir, "s.yaml")
  writeFileSync(file, `base: ${tiny}\n${body}`)
  return Effect.either(loadSweep(file, overrides)).pipe(Effect.provide(NodeContext.layer))
}

describe("search spaces", () => {
  it("a grid is every combination, the first parameter varying slowest", () => {
    const grid = gridOf([
      ["a", { _tag: "choice", values: [1, 2] }],
      ["b", { _tag: "choice", values: ["x", "y", "z"] }]
    ])
    expect(grid).toEqual([
      { a: 1, b: "x" }, { a: 1, b: "y" }, { a: 1, b: "z" },
      { a: 2, b: "x" }, { a: 2, b: "y" }, { a: 2, b: "z" }
    ])
  })

  it("random search: the same seed gives the same trials, another seed others; values stay in range", () => {
    const space = [
      ["lr", { _tag: "range", min: 1e-4, max: 1e-1, log: true, int: false }],
      ["h", { _tag: "range", min: 8, max: 64, log: false, int: true }]
    ] as const
    const a = randomOf(space, 20, 7)
    expect(randomOf(space, 20, 7)).toEqual(a)
    expect(randomOf(space, 20, 8)).not.toEqual(a)
    expect(a).toHaveLength(20)
    for (const t of a) {
      expect(t["lr"]).toBeGreaterThanOrEqual(1e-4)
      expect(t["lr"]).toBeLessThanOrEqual(1e-1)
      expect(Number.isInteger(t["h"])).toBe(true)
    }
    // log sampling: about half the draws fall below the geometric middle (1e-2.5)
    const low = a.filter((t) => Number(t["lr"]) < 10 ** -2.5).length
    expect(low).toBeGreaterThan(3)
    expect(low).toBeLessThan(17)
  })

  it("a trial id depends on the values, not on the order they were given in", () => {
    const one = trialIdOf({ params: { a: 1, b: 2 }, fixed: [{ path: "x", value: "1" }], baseText: "t" })
    expect(trialIdOf({ params: { b: 2, a: 1 }, fixed: [{ path: "x", value: "1" }], baseText: "t" })).toBe(one)
    expect(trialIdOf({ params: { a: 1, b: 3 }, fixed: [{ path: "x", value: "1" }], baseText: "t" })).not.toBe(one)
    expect(trialIdOf({ params: { a: 1, b: 2 }, fixed: [{ path: "x", value: "1" }], baseText: "other base" })).not.toBe(one)
    // the output directory does not change what a trial computes
    expect(trialIdOf({ params: { a: 1, b: 2 }, fixed: [{ path: "x", value: "1" }, { path: "output_dir", value: "/o" }], baseText: "t" })).toBe(one)
  })
})

describe("ASHA", () => {
  it("rungs are grace_period · rf^k up to max_epochs (as Ray Tune's AsyncHyperBandScheduler)", () => {
    expect(rungsOf(1, 2, 8)).toEqual([1, 2, 4, 8])
    expect(rungsOf(1, 3, 10)).toEqual([1, 3, 9])
    expect(rungsOf(2, 2, 7)).toEqual([2, 4])
  })

  it("percentile interpolates linearly between ranks (numpy's default)", () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5)
    expect(percentile([10], 50)).toBe(10)
    expect(percentile([4, 1, 3, 2], 75)).toBe(3.25)
  })

  it("a trial outside the top 1/rf of its rung is pruned; the first at a rung never is", () => {
    expect(ashaPrunes([], 100, 2, "min")).toBe(false)
    // rf 2: the cutoff is the median of what was recorded before
    expect(ashaPrunes([1, 2, 3], 2.5, 2, "min")).toBe(true)
    expect(ashaPrunes([1, 2, 3], 1.5, 2, "min")).toBe(false)
    expect(ashaPrunes([1, 2, 3], 1.5, 2, "max")).toBe(true)
    // rf 4: only the top quarter survives (the cutoff of 1..5 is 2)
    expect(ashaPrunes([1, 2, 3, 4, 5], 2.5, 4, "min")).toBe(true)
    expect(ashaPrunes([1, 2, 3, 4, 5], 1.5, 4, "min")).toBe(false)
    expect(ashaPrunes([1, 2], Number.NaN, 2, "min")).toBe(true)
  })
})

describe("sweep file", () => {
  it.effect("plans a grid: one job per combination, each with its own id and the sweep's flags", () =>
    Effect.gen(function*() {
      const result = yield* plan("parameters:\n  train.learning_rate: [0.001, 0.01]\n  model.hidden_size: {values: [8, 16]}\n", [
        { path: "runtime.threads", raw: "1", source: "--threads" }
      ])
      const p = Either.getOrThrow(result)
      expect(p.jobs).toHaveLength(4)
      expect(new Set(p.jobs.map((j) => j.trial.id)).size).toBe(4)
      expect(p.jobs[0]!.fixed).toEqual([{ path: "runtime.threads", value: "1" }])
      expect(p.experiment).toBe("tiny")
      expect(p.threadsPerTrial).toBe(1)
    }))

  it.effect("random search with a seed plans the same trials every time", () =>
    Effect.gen(function*() {
      const body = "parameters:\n  train.learning_rate: {min: 0.0001, max: 0.1, log: true}\nsearch: {kind: random, trials: 5, seed: 3}\n"
      const a = Either.getOrThrow(yield* plan(body))
      const b = Either.getOrThrow(yield* plan(body))
      expect(a.jobs.map((j) => j.trial)).toEqual(b.jobs.map((j) => j.trial))
      expect(a.id).toBe(b.id)
      const c = Either.getOrThrow(yield* plan(body.replace("seed: 3", "seed: 4")))
      expect(c.jobs.map((j) => j.trial.id)).not.toEqual(a.jobs.map((j) => j.trial.id))
    }))

  it.effect("asha: rungs from grace_period, reduction_factor and max_epochs, which every trial trains to", () =>
    Effect.gen(function*() {
      const p = Either.getOrThrow(yield* plan("parameters:\n  train.learning_rate: [0.001, 0.01]\nsearch: {kind: asha, grace_period: 1, reduction_factor: 2, max_epochs: 8}\n"))
      expect(p.jobs[0]!.asha).toEqual({ metric: "val_loss", mode: "min", rungs: [1, 2, 4, 8], reduction_factor: 2 })
      expect(p.jobs[0]!.fixed).toContainEqual({ path: "train.epochs", value: "8" })
    }))

  const failsWith = (body: string, field: string, words: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const result = yield* plan(body)
      if (Either.isRight(result)) throw new Error("expected a ConfigError")
      const e = result.left
      expect(e._tag).toBe("ConfigError")
      if (e._tag !== "ConfigError") return
      expect(e.field).toBe(field)
      expect(e.file).toMatch(/s\.yaml$/)
      for (const w of words) expect(`${e.message} ${e.fix}`).toContain(w)
    })

  it.effect("an unknown parameter path is named, with a suggestion", () =>
    failsWith("parameters:\n  train.learning_rat: [0.1]\n", "parameters.train.learning_rat", ["no such config path", "train.learning_rate"]))

  it.effect("a value the train config rejects is named with the value", () =>
    failsWith("parameters:\n  model.hidden_size: [16, 0]\n", "parameters.model.hidden_size", ["value 0", "model.hidden_size takes"]))

  it.effect("grid search over a range says how to search it", () =>
    failsWith("parameters:\n  train.learning_rate: {min: 0.001, max: 0.1}\n", "parameters.train.learning_rate", ["cannot be enumerated", "random"]))

  it.effect("a range with log and min ≤ 0, and an unknown search kind", () =>
    Effect.gen(function*() {
      yield* failsWith("parameters:\n  train.learning_rate: {min: 0, max: 0.1, log: true}\nsearch: {kind: random, trials: 3}\n", "parameters.train.learning_rate", ["min > 0"])
      yield* failsWith("parameters:\n  train.learning_rate: [0.1]\nsearch: {kind: bayes}\n", "search.kind", ["bayes"])
      yield* failsWith("parameters:\n  train.learning_rate: [0.1]\nserch: {kind: grid}\n", "serch", ["unknown key"])
    }))
})
