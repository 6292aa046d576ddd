import { describe, expect, it } from "vitest"
import { UpstreamMissing } from "../../src/cache/StageCache.js"
import { describeFailure } from "../../src/cli/errors.js"
import { ConfigError } from "../../src/config/ConfigError.js"
import { EngineError } from "../../src/engine/Engine.js"
import { AtomicWriteError } from "../../src/fs/errors.js"
import { ResumeMismatch } from "../../src/resume/guard.js"
import { RunsError } from "../../src/runs/RunsError.js"
import { TrainingDiverged } from "../../src/train/errors.js"

describe("describeFailure", () => {
  it("renders user faults as exit 2 with their own fix", () => {
    const config = describeFailure(new ConfigError({ file: "a.yaml", field: "train.epochs", message: "a.yaml: train.epochs: bad", fix: "use an integer" }))
    expect(config).toEqual({ message: "a.yaml: train.epochs: bad", fix: "use an integer", exitCode: 2 })
    expect(describeFailure(new RunsError({ path: "runs", reason: "no such directory", fix: "set --output-dir" }))).toMatchObject({ exitCode: 2, fix: "set --output-dir" })
    expect(describeFailure(new UpstreamMissing({ stage: "train", reasons: ["never built"], fix: "build it with: pipeline stage train x.yaml" })).exitCode).toBe(2)
    const mismatch = describeFailure(new ResumeMismatch({ checkpoint: "ck", differences: ["model.hidden_size: 8 → 16"] }))
    expect(mismatch.exitCode).toBe(2)
    expect(mismatch.message).toContain("    model.hidden_size: 8 → 16")
  })

  it("renders failures of the run as exit 1, naming what is kept", () => {
    const diverged = describeFailure(new TrainingDiverged({ epoch: 3, step: 40, loss: Number.NaN, lastCheckpoint: "runs/x/checkpoints/epoch-2" }))
    expect(diverged.exitCode).toBe(1)
    expect(diverged.fix).toContain("the last good checkpoint is runs/x/checkpoints/epoch-2")
    expect(describeFailure(new EngineError({ reason: "wasm trap" }))).toMatchObject({ exitCode: 1, message: "the training engine failed: wasm trap" })
    const disk = describeFailure(new AtomicWriteError({ path: "/runs/x", reason: "no space left on device (ENOSPC)", fix: "Free disk space." }))
    expect(disk).toEqual({ message: "cannot write /runs/x: no space left on device (ENOSPC).", fix: "Free disk space. Earlier files are intact.", exitCode: 1 })
  })
})
