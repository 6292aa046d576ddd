import { Option } from "effect"

let first: Option.Option<"SIGINT" | "SIGTERM"> = Option.none()
let hint = ""

const onSignal = (signal: "SIGINT" | "SIGTERM") => {
  if (Option.isNone(first)) {
    first = Option.some(signal)
    process.stderr.write(`\n${signal} received: stopping after the current batch and writing an emergency checkpoint…\n`)
    return
  }
  // our listener stays installed, so a second Ctrl-C cannot kill the process mid-save
  process.stderr.write(`${signal} again: still writing the checkpoint, please wait (kill -9 loses only work since the last checkpoint)\n`)
}

/** The process's interrupt signals: which came first, and how to resume after one. */
export const signals = {
  /** Listen for SIGINT/SIGTERM for the life of the process (the CLI entry point calls this once). */
  install: (): void => {
    process.on("SIGINT", () => onSignal("SIGINT"))
    process.on("SIGTERM", () => onSignal("SIGTERM"))
  },
  first: (): Option.Option<"SIGINT" | "SIGTERM"> => first,
  /** Set once the run directory is known: the command that continues this run. */
  setResumeCommand: (command: string): void => {
    hint = command
  },
  resumeHint: (): string => (hint === "" ? "interrupted.\n" : `interrupted. To continue this run: ${hint}\n`)
}
