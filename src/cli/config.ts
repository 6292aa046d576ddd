import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { ConfigError } from "../config/ConfigError.js"
import { configLeaves, configReference, loadConfig, renderConfig } from "../config/loadConfig.js"
import { flagsReference } from "../config/flags.js"
import { configArg, configOptions, overridesOf } from "./flags.js"

const show = Command.make(
  "show",
  {
    config: configArg,
    ...configOptions,
    plain: Options.boolean("plain").pipe(Options.withDescription("Without the provenance comments."))
  },
  ({ config, plain, ...options }) =>
    Effect.gen(function*() {
      const { overrides, bad } = overridesOf(options)
      if (bad.length > 0) {
        return yield* new ConfigError({ file: config, field: "--set", message: `--set ${bad[0]}: expected path=value.`, fix: "write it as --set model.hidden_size=128" })
      }
      const loaded = yield* loadConfig(config, overrides)
      yield* Console.log(renderConfig(loaded, !plain))
    })
).pipe(Command.withDescription("Print the resolved config and where each value came from (default / file / flag)."))

const paths = Command.make("paths", {}, () =>
  Console.log(configLeaves.map((l) => `${l.path.padEnd(40)} ${l.type.text.padEnd(28)} ${l.description}`).join("\n"))).pipe(
    Command.withDescription("List every config path, its type and what it does.")
  )

const docs = Command.make("docs", {}, () => Console.log(`${flagsReference()}\n\n${configReference()}`)).pipe(
  Command.withDescription("Print the flag and config references as Markdown (the README's tables).")
)

/** `pipeline config show|paths|docs`. */
export const configCommand = Command.make("config").pipe(
  Command.withDescription("Inspect configs."),
  Command.withSubcommands([show, paths, docs])
)
