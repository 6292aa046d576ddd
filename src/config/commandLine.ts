import { Either, Schema } from "effect"
import { listFlags, switchFlags } from "./flags.js"
import type { Override } from "./loadConfig.js"

const StringList = Schema.parseJson(Schema.Array(Schema.String))

/** A word as a POSIX shell reads it back: quoted only when it needs to be. */
export const shellWord = (word: string): string =>
  /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`

/** One override as the command-line words that give it again. */
const flagWords = (o: Override): ReadonlyArray<string> => {
  if (o.source === "--set") return ["--set", `${o.path}=${o.raw}`]
  if (switchFlags.some((f) => `--${f.flag}` === o.source)) return [o.source]
  if (listFlags.some((f) => `--${f.flag}` === o.source)) {
    const values = Schema.decodeUnknownEither(StringList)(o.raw)
    if (Either.isRight(values)) return values.right.flatMap((v) => [o.source, v])
    return ["--set", `${o.path}=${o.raw}`]
  }
  return [o.source, o.raw]
}

/** `pipeline <command...> <config> <flags...>` with the given overrides, quoted for a shell. */
export const commandLine = (
  command: ReadonlyArray<string>,
  configFile: string,
  overrides: ReadonlyArray<Override>,
  extra: ReadonlyArray<string> = []
): string => ["pipeline", ...command, ...[configFile, ...overrides.flatMap(flagWords), ...extra].map(shellWord)].join(" ")

/**
 * The command that continues a run after an interruption: the same config and flags (less any
 * earlier --resume and --run-name), then `--run-name <run> --resume last`, quoted for a shell.
 */
export const resumeCommand = (configFile: string, overrides: ReadonlyArray<Override>, runName: string): string => {
  const kept = overrides.filter((o) => o.path !== "checkpoint.resume" && o.path !== "run_name")
  return commandLine(["run"], configFile, kept, ["--run-name", runName, "--resume", "last"])
}
