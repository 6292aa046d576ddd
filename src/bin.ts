import { ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Exit, Layer, Logger, LogLevel, Option } from "effect"
import { cli } from "./cli/main.js"
import { describeFailure } from "./cli/errors.js"
import { signals } from "./run/signals.js"

signals.install()

const program = cli(process.argv).pipe(
  Effect.catchAll((error) =>
    Effect.sync(() => {
      if (ValidationError.isValidationError(error)) {
        // @effect/cli has already printed what was wrong with the arguments
        process.exitCode = 2
        return
      }
      const failure = describeFailure(error)
      process.stderr.write(`error: ${failure.message}\n${failure.fix ? `  fix: ${failure.fix}\n` : ""}`)
      process.exitCode = failure.exitCode
    })
  ),
  Effect.provide(Layer.mergeAll(NodeContext.layer, Logger.minimumLogLevel(LogLevel.Warning)))
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  teardown: (exit, onExit) => {
    if (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)) {
      const signal = signals.first()
      process.stderr.write(signals.resumeHint())
      onExit(Option.getOrElse(signal, () => "SIGINT") === "SIGTERM" ? 143 : 130)
      return
    }
    if (Exit.isFailure(exit)) {
      process.stderr.write(`internal error (a bug; please report it):\n${Cause.pretty(exit.cause)}\n`)
      onExit(1)
      return
    }
    onExit(typeof process.exitCode === "number" ? process.exitCode : 0)
  }
})
