import { Context, Effect, Layer } from "effect"

/** One optimizer step as the progress display sees it. */
export interface BatchTick {
  readonly epoch: number
  readonly epochs: number
  readonly batch: number
  readonly batches: number
  readonly loss: number
  readonly lr: number
  readonly samplesPerSec: number
  /** Estimated seconds left for the whole run. */
  readonly etaSeconds: number
}

/** One finished epoch as the progress display sees it. */
export interface EpochTick {
  readonly epoch: number
  readonly epochs: number
  readonly trainLoss: number
  readonly valLoss: number | null
  readonly lr: number
  readonly samplesPerSec: number
  readonly seconds: number
  readonly improved: boolean
  /** Estimated seconds left for the remaining epochs. */
  readonly etaSeconds: number
}

/** Where progress goes: bars on a terminal, a line per epoch in logs. Never fails. */
export interface ProgressService {
  readonly batch: (tick: BatchTick) => Effect.Effect<void>
  readonly epoch: (tick: EpochTick) => Effect.Effect<void>
  /** A line of text that must not be garbled by the bars. */
  readonly note: (line: string) => Effect.Effect<void>
}

/** The run's progress display. */
export class Progress extends Context.Tag("lstm-pipeline/Progress")<Progress, ProgressService>() {}

const fmt = (x: number, digits = 4): string =>
  !Number.isFinite(x) ? String(x) : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toFixed(digits)

/** `1m05s`, `12s`, `1h02m`. */
export const formatDuration = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
}

/** The plain, log-friendly line printed at the end of each epoch. */
export const epochLine = (t: EpochTick): string =>
  `epoch ${String(t.epoch).padStart(String(t.epochs).length)}/${t.epochs}  loss ${fmt(t.trainLoss)}  val_loss ${
    t.valLoss === null ? "-" : fmt(t.valLoss)
  }${t.improved ? "*" : " "}  lr ${fmt(t.lr, 5)}  ${Math.round(t.samplesPerSec)} samples/s  ${t.seconds.toFixed(1)}s  eta ${
    formatDuration(t.etaSeconds)
  }`

const bar = (fraction: number, width: number): string => {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width)
  return "█".repeat(filled) + "░".repeat(width - filled)
}

/** One line per epoch on stderr: for CI logs, pipes and `--no-progress`. */
export const layerPlain: Layer.Layer<Progress> = Layer.succeed(Progress, {
  batch: () => Effect.void,
  epoch: (t) => Effect.sync(() => process.stderr.write(`${epochLine(t)}\n`)),
  note: (line) => Effect.sync(() => process.stderr.write(`${line}\n`))
})

/** Nothing at all (tests). */
export const layerSilent: Layer.Layer<Progress> = Layer.succeed(Progress, {
  batch: () => Effect.void,
  epoch: () => Effect.void,
  note: () => Effect.void
})

/** An epoch bar and a batch bar redrawn in place on a terminal (at most ~12 times a second). */
export const layerTty: Layer.Layer<Progress> = Layer.scoped(
  Progress,
  Effect.gen(function*() {
    const out = process.stderr
    let drawn = 0
    let lastDraw = 0
    let lastEpoch: EpochTick | undefined
    const clear = () => {
      if (drawn > 0) out.write(`\x1b[${drawn}A\x1b[0J`)
      drawn = 0
    }
    const draw = (lines: ReadonlyArray<string>) => {
      clear()
      const width = Math.max(40, (out.columns ?? 100) - 1)
      for (const line of lines) out.write(`${line.slice(0, width)}\n`)
      drawn = lines.length
    }
    yield* Effect.addFinalizer(() => Effect.sync(clear))
    return {
      batch: (t) =>
        Effect.sync(() => {
          const now = Date.now()
          if (now - lastDraw < 80 && t.batch < t.batches) return
          lastDraw = now
          const epochsDone = t.epoch - 1 + t.batch / t.batches
          draw([
            `epochs ${bar(epochsDone / t.epochs, 24)} ${t.epoch}/${t.epochs}${
              lastEpoch ? `  val_loss ${lastEpoch.valLoss === null ? "-" : fmt(lastEpoch.valLoss)}` : ""
            }`,
            `batch  ${bar(t.batch / t.batches, 24)} ${t.batch}/${t.batches}  loss ${fmt(t.loss)}  lr ${fmt(t.lr, 5)}  ${
              Math.round(t.samplesPerSec)
            } samples/s  eta ${formatDuration(t.etaSeconds)}`
          ])
        }),
      epoch: (t) =>
        Effect.sync(() => {
          lastEpoch = t
          clear()
          out.write(`${epochLine(t)}\n`)
        }),
      note: (line) =>
        Effect.sync(() => {
          clear()
          out.write(`${line}\n`)
        })
    }
  })
)

/** Bars on a terminal when enabled, plain lines otherwise. */
export const layerFor = (enabled: boolean): Layer.Layer<Progress> =>
  enabled && process.stderr.isTTY === true ? layerTty : layerPlain
