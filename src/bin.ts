import { ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Exit, Layer, Logger, LogLevel, Option } from "effect"
import { describeFailure } from "./cli/errors.js"
import { cli } from "./cli/main.js"
import { Signals } from "./signals/Signals.js"
import { watchLifeline } from "./sweep/lifeline.js"

// a sweep trial exits with the worker that started it
watchLifeline()

const program = Effect.gen(function*() {
  const signals = yield* Signals
  return yield* cli(process.argv).pipe(
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
    // one place for every command: say how to continue, and exit 130 (SIGINT) or 143 (SIGTERM)
    Effect.onInterrupt(() =>
      Effect.gen(function*() {
        process.stderr.write(yield* signals.interruptedMessage)
        process.exitCode = Option.getOrElse(yield* signals.first, () => "SIGINT") === "SIGTERM" ? 143 : 130
      })
    )
  )
}).pipe(Effect.provide(Layer.mergeAll(NodeContext.layer, Signals.layer, Logger.minimumLogLevel(LogLevel.Warning))))

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  teardown: (exit, onExit) => {
    if (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)) {
      onExit(typeof process.exitCode === "number" ? process.exitCode : 130)
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
