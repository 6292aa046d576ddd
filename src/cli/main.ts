import { Command } from "@effect/cli"
import { configCommand } from "./config.js"
import { devicesCommand } from "./devices.js"
import { predictCommand } from "./predict.js"
import { runCommand } from "./run.js"
import { runsCommand } from "./runs.js"
import { stageCommand } from "./stage.js"
import { sweepCommand } from "./sweep.js"
import { workerCommand } from "./worker.js"

/** The `pipeline` command and its subcommands. */
export const pipelineCommand = Command.make("pipeline").pipe(
  Command.withDescription("Train LSTM forecasters from one YAML file: typed, cached stages; checkpoints; tracking."),
  Command.withSubcommands([runCommand, stageCommand, configCommand, predictCommand, runsCommand, devicesCommand, sweepCommand, workerCommand])
)

/** Parse argv and run the chosen command. */
export const cli = Command.run(pipelineCommand, { name: "pipeline", version: "0.1.0" })
