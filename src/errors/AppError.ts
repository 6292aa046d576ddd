import type { CacheCorrupt, UpstreamMissing } from "../cache/StageCache.js"
import type { CheckpointCorrupt, CheckpointNotFound } from "../checkpoint/domain.js"
import type { ConfigError } from "../config/ConfigError.js"
import type {
  DataColumnMissing,
  DataConfigInvalid,
  DataFileInvalid,
  DataFileMissing,
  DatasetCorrupt,
  DataSeriesTooShort,
  DataSplitTooSmall,
  DataTimeInvalid,
  DataValueInvalid
} from "../data/errors.js"
import type { DeviceUnavailable } from "../device/domain.js"
import type { EngineError, EngineUnavailable } from "../engine/Engine.js"
import type { AtomicWriteError, DirInvalid } from "../fs/errors.js"
import type { ExportFailed } from "../model/export.js"
import type { ReportError } from "../report/ReportError.js"
import type { ResumeMismatch } from "../resume/guard.js"
import type { RunDirError } from "../rundir/RunDirError.js"
import type { RunsError } from "../runs/RunsError.js"
import type { QueueError, SweepStoreError, TrialError } from "../sweep/domain.js"
import type { TrackerError } from "../tracking/Sink.js"
import type { TrainingDiverged } from "../train/errors.js"

/**
 * Every failure a command can end with, as tagged data. The CLI renders each tag to a message, a
 * fix and an exit code exhaustively, so adding or renaming a tag without saying how it is shown
 * does not compile.
 */
export type AppError =
  | AtomicWriteError
  | CacheCorrupt
  | CheckpointCorrupt
  | CheckpointNotFound
  | ConfigError
  | DataColumnMissing
  | DataConfigInvalid
  | DataFileInvalid
  | DataFileMissing
  | DatasetCorrupt
  | DataSeriesTooShort
  | DataSplitTooSmall
  | DataTimeInvalid
  | DataValueInvalid
  | DeviceUnavailable
  | DirInvalid
  | EngineError
  | EngineUnavailable
  | ExportFailed
  | ReportError
  | ResumeMismatch
  | RunDirError
  | QueueError
  | RunsError
  | SweepStoreError
  | TrackerError
  | TrialError
  | TrainingDiverged
  | UpstreamMissing
