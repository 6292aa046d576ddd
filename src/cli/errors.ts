import { Match } from "effect"
import type { AppError } from "../errors/AppError.js"

/** How the CLI reports a failure: one message, a fix, and the exit code. */
export interface FailureReport {
  readonly message: string
  readonly fix: string
  /** 2: what the user gave us is wrong (config, flags, files, checkpoints); 1: the run failed. */
  readonly exitCode: 1 | 2
}

const badInput = (error: { readonly message: string; readonly fix: string }): FailureReport => ({ message: error.message, fix: error.fix, exitCode: 2 })
const failed = (error: { readonly message: string }, fix: string): FailureReport => ({ message: error.message, fix, exitCode: 1 })

/** Turn any failure of a command into what the user reads; every tag is handled here by name. */
export const describeFailure: (error: AppError) => FailureReport = Match.type<AppError>().pipe(
  Match.tagsExhaustive({
    ConfigError: badInput,
    DataColumnMissing: badInput,
    DataConfigInvalid: badInput,
    DataFileInvalid: badInput,
    DataFileMissing: badInput,
    DataSeriesTooShort: badInput,
    DataSplitTooSmall: badInput,
    DataTimeInvalid: badInput,
    DataValueInvalid: badInput,
    DeviceUnavailable: badInput,
    EngineUnavailable: badInput,
    CheckpointCorrupt: badInput,
    CheckpointNotFound: badInput,
    RunDirError: badInput,
    RunsError: badInput,
    UpstreamMissing: badInput,
    ResumeMismatch: (e) => ({
      message: `cannot resume from ${e.checkpoint}: the run would not be the same run.\n  changed since the checkpoint:\n${e.differences.map((d) => `    ${d}`).join("\n")}`,
      fix: "resume with the checkpoint's settings, or allow a deliberate change with --allow-config-change <path> (e.g. train.epochs)",
      exitCode: 2 as const
    }),
    TrainingDiverged: (e) =>
      failed(
        e,
        `${e.lastCheckpoint === null ? "" : `the last good checkpoint is ${e.lastCheckpoint}; `}lower --learning-rate, set train.clip_norm, or check the data for extreme values`
      ),
    AtomicWriteError: (e) => failed(e, `${e.fix} Earlier files are intact.`),
    CacheCorrupt: (e) => failed(e, e.fix),
    DatasetCorrupt: (e) => failed(e, e.fix),
    DirInvalid: (e) => failed(e, "delete the damaged directory and run again"),
    EngineError: (e) => failed(e, "run `pipeline devices` to see what this machine can run; --set runtime.engine=wasm uses the WebAssembly engine"),
    ExportFailed: (e) => failed(e, "report this with the run directory's config.yaml"),
    ReportError: (e) => failed(e, "the run itself is complete; `pipeline runs ls` still lists it"),
    TrackerError: (e) => failed(e, "check the tracker's server or remove it from tracking.trackers"),
    QueueError: badInput,
    SweepStoreError: (e) => failed(e, e.fix),
    TrialError: (e) => failed(e, "see the trial's log in the sweep's logs/ folder")
  })
)
