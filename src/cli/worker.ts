import { Command, Options } from "@effect/cli"
import { Effect } from "effect"
import { ConfigError } from "../config/ConfigError.js"
import { runWorker } from "../sweep/queue.js"

/** `pipeline worker --queue redis://… [--slots N] [--lease-seconds S]`: run trials from the queue. */
export const workerCommand = Command.make(
  "worker",
  {
    queue: Options.text("queue").pipe(Options.withDescription("Redis address of the trial queue, redis://host:port[/db].")),
    slots: Options.integer("slots").pipe(Options.withDescription("Trials at once on this host."), Options.withDefault(1)),
    leaseSeconds: Options.integer("lease-seconds").pipe(
      Options.withDescription("A trial's lease: when its worker stops renewing it, another takes the trial over after this long."),
      Options.withDefault(30)
    ),
    maxStalls: Options.integer("max-takeovers").pipe(
      Options.withDescription("How often a trial may be taken over from a lost worker before it fails."),
      Options.withDefault(5)
    )
  },
  ({ queue, slots, leaseSeconds, maxStalls }) =>
    Effect.gen(function*() {
      for (const [flag, value, least] of [["--slots", slots, 1], ["--lease-seconds", leaseSeconds, 2], ["--max-takeovers", maxStalls, 0]] as const) {
        if (value < least) return yield* new ConfigError({ file: "(command line)", field: flag, message: `${flag} ${value}: must be at least ${least}.`, fix: `pass ${flag} ${least} or more` })
      }
      return yield* runWorker(queue, { slots, leaseSeconds, maxStalls })
    })
).pipe(Command.withDescription("Take sweep trials from a Redis queue and run them, each in its own `pipeline run` process."))
