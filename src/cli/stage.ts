import { Args, Command } from "@effect/cli"
import { stageNames } from "../stages/index.js"
import { configArg, configOptions, runOptions } from "./flags.js"
import { runWith } from "./run.js"

/** `pipeline stage <name> <config.yaml> [flags]`: one stage again from cached upstream outputs. */
export const stageCommand = Command.make(
  "stage",
  {
    stage: Args.choice(stageNames.map((n) => [n, n] as const), { name: "stage" }).pipe(
      Args.withDescription(`One of: ${stageNames.join(", ")}.`)
    ),
    config: configArg,
    ...configOptions,
    ...runOptions
  },
  ({ stage, config, ...options }) => runWith(config, options, stage)
).pipe(
  Command.withDescription(
    "Re-run one stage from its cached upstream outputs; when one is missing, names it and the command that builds it."
  )
)
