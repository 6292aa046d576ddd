import { Context, Effect, Layer, Option } from "effect"

/** An interrupt signal the CLI handles. */
export type InterruptSignal = "SIGINT" | "SIGTERM"

/** The process's interrupt signals: which came first, and how to continue a run after one. */
export interface SignalsService {
  readonly first: Effect.Effect<Option.Option<InterruptSignal>>
  /** Set once the run directory is known: the command that continues this run. */
  readonly setResumeCommand: (command: string) => Effect.Effect<void>
  /** What the process is busy with once the checkpoint is written (a second signal prints it); null: the checkpoint. */
  readonly setActivity: (text: string | null) => Effect.Effect<void>
  /** What to print when the program ends interrupted. */
  readonly interruptedMessage: Effect.Effect<string>
}

interface SignalState {
  first: Option.Option<InterruptSignal>
  resumeCommand: string
  activity: string | null
}

const serviceOf = (state: SignalState): SignalsService => ({
  first: Effect.sync(() => state.first),
  setResumeCommand: (command) => Effect.sync(() => void (state.resumeCommand = command)),
  setActivity: (text) => Effect.sync(() => void (state.activity = text)),
  interruptedMessage: Effect.sync(() =>
    state.resumeCommand === "" ? "interrupted.\n" : `interrupted. To continue this run: ${state.resumeCommand}\n`
  )
})

const onSignal = (state: SignalState, signal: InterruptSignal) => () => {
  if (Option.isNone(state.first)) {
    state.first = Option.some(signal)
    process.stderr.write(`\n${signal} received: stopping after the current batch…\n`)
    return
  }
  // our listener stays installed, so a second Ctrl-C cannot kill the process while it saves or flushes
  process.stderr.write(`${signal} again: ${state.activity ?? "still writing the checkpoint"}, please wait (kill -9 loses only work since the last checkpoint)\n`)
}

/**
 * The signals service. The default records nothing (library use, tests); `Signals.layer` listens
 * for SIGINT/SIGTERM for as long as its scope lasts (the CLI entry point provides it).
 */
export class Signals extends Context.Reference<Signals>()("lstm-pipeline/Signals", {
  defaultValue: (): SignalsService => serviceOf({ first: Option.none(), resumeCommand: "", activity: null })
}) {
  static readonly layer: Layer.Layer<Signals> = Layer.scoped(
    Signals,
    Effect.gen(function*() {
      const state: SignalState = { first: Option.none(), resumeCommand: "", activity: null }
      const listeners = { SIGINT: onSignal(state, "SIGINT"), SIGTERM: onSignal(state, "SIGTERM") }
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          process.on("SIGINT", listeners.SIGINT)
          process.on("SIGTERM", listeners.SIGTERM)
        }),
        () =>
          Effect.sync(() => {
            process.off("SIGINT", listeners.SIGINT)
            process.off("SIGTERM", listeners.SIGTERM)
          })
      )
      return serviceOf(state)
    })
  )
}
