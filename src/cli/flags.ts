import { Args, Options } from "@effect/cli"
import { Option } from "effect"
import { flagHelp, listFlags, switchFlags, valueFlags } from "../config/flags.js"
import type { Override } from "../config/loadConfig.js"
import { stageNames } from "../stages/index.js"

const valueOptions = Object.fromEntries(
  valueFlags.map((f) => {
    const help = flagHelp(f)
    return [f.flag, Options.text(f.flag).pipe(Options.withPseudoName(help.type), Options.withDescription(help.text), Options.optional)]
  })
) as { readonly [K in (typeof valueFlags)[number]["flag"]]: Options.Options<Option.Option<string>> }

const listOptions = Object.fromEntries(
  listFlags.map((f) => [f.flag, Options.text(f.flag).pipe(Options.withDescription(`${f.description} Repeatable; sets ${f.path}.`), Options.repeated)])
) as { readonly [K in (typeof listFlags)[number]["flag"]]: Options.Options<Array<string>> }

const switchOptions = Object.fromEntries(
  switchFlags.map((f) => [f.flag, Options.boolean(f.flag).pipe(Options.withDescription(`${f.description} Sets ${f.path}=${f.value}.`))])
) as { readonly [K in (typeof switchFlags)[number]["flag"]]: Options.Options<boolean> }

/** The config file argument. */
export const configArg = Args.text({ name: "config.yaml" }).pipe(Args.withDescription("The training config (YAML)."))

/** Options every config-reading command takes: named flags and `--set path=value`. */
export const configOptions = {
  ...valueOptions,
  ...listOptions,
  ...switchOptions,
  set: Options.text("set").pipe(
    Options.withDescription("Set any config path: --set model.hidden_size=128 (repeatable; typed by the schema)."),
    Options.repeated
  )
}

/** What the config options parse to. */
export type ConfigOptions = {
  readonly [K in keyof typeof configOptions]: (typeof configOptions)[K] extends Options.Options<infer A> ? A : never
}

/** Options of commands that run stages. */
export const runOptions = {
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Print the resolved config and plan; write nothing.")),
  force: Options.boolean("force").pipe(Options.withDescription("Ignore the stage cache: run every stage.")),
  forceStage: Options.choice("force-stage", stageNames).pipe(
    Options.withDescription("Ignore the cache for this stage (repeatable)."),
    Options.repeated
  )
}

/** The overrides the flags give, in order: named flags, then `--set` (later wins). */
export const overridesOf = (options: ConfigOptions): { readonly overrides: ReadonlyArray<Override>; readonly bad: ReadonlyArray<string> } => {
  const overrides: Array<Override> = []
  const bad: Array<string> = []
  for (const f of valueFlags) {
    const value = options[f.flag]
    if (Option.isSome(value)) overrides.push({ path: f.path, raw: value.value, source: `--${f.flag}` })
  }
  for (const f of listFlags) {
    const values = options[f.flag]
    if (values.length > 0) overrides.push({ path: f.path, raw: JSON.stringify(values), source: `--${f.flag}` })
  }
  for (const f of switchFlags) {
    if (options[f.flag]) overrides.push({ path: f.path, raw: f.value, source: `--${f.flag}` })
  }
  for (const assignment of options.set) {
    const at = assignment.indexOf("=")
    if (at <= 0) bad.push(assignment)
    else overrides.push({ path: assignment.slice(0, at).trim(), raw: assignment.slice(at + 1), source: "--set" })
  }
  return { overrides, bad }
}
