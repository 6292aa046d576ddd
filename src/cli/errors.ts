/** How the CLI reports a failure: one message, a fix, and the exit code. */
export interface FailureReport {
  readonly message: string
  readonly fix: string
  readonly exitCode: 1 | 2
}

/** Errors caused by what the user gave us (config, flags, files, checkpoints): exit code 2. */
const badInput = new Set([
  "ConfigError",
  "DataFileMissing",
  "DataFileInvalid",
  "DataColumnMissing",
  "DataValueInvalid",
  "DataTimeInvalid",
  "DataSeriesTooShort",
  "DataSplitTooSmall",
  "DataConfigInvalid",
  "DeviceUnavailable",
  "CheckpointCorrupt",
  "CheckpointNotFound",
  "ResumeMismatch",
  "RunDirError",
  "UpstreamMissing"
])

const field = (error: object, name: string): string | undefined => {
  const value: unknown = Reflect.get(error, name)
  return typeof value === "string" && value !== "" ? value : undefined
}

const differences = (error: object): ReadonlyArray<string> => {
  const value: unknown = Reflect.get(error, "differences")
  return Array.isArray(value) ? value.map(String) : []
}

/** Turn any failure of a command into what the user reads. */
export const describeFailure = (error: unknown): FailureReport => {
  if (typeof error !== "object" || error === null) return { message: String(error), fix: "", exitCode: 1 }
  const tag = field(error, "_tag") ?? ""
  const exitCode = badInput.has(tag) ? 2 : 1
  const message = field(error, "message") ?? tag
  switch (tag) {
    case "ResumeMismatch":
      return {
        message: `cannot resume from ${field(error, "checkpoint")}: the run would not be the same run.\n  changed since the checkpoint:\n${
          differences(error).map((d) => `    ${d}`).join("\n")
        }`,
        fix: "resume with the checkpoint's settings, or allow a deliberate change with --allow-config-change <path> (e.g. train.epochs)",
        exitCode
      }
    case "TrainingDiverged":
      return {
        message,
        fix: `${
          field(error, "lastCheckpoint") ? `the last good checkpoint is ${field(error, "lastCheckpoint")}; ` : ""
        }lower --learning-rate, set train.clip_norm, or check the data for extreme values`,
        exitCode
      }
    case "AtomicWriteError":
      return { message, fix: field(error, "hint") ?? "free disk space or choose a writable --output-dir; earlier files are intact", exitCode }
    default:
      return { message, fix: field(error, "fix") ?? field(error, "hint") ?? "", exitCode }
  }
}
