import { Console, Effect, type Layer } from "effect"
import { layerFromSpecs } from "./FanOut.js"
import type { SinkSpec } from "./Sink.js"
import type { Params, RunInfo, Tracker } from "./Tracker.js"

/** A compact, stable rendering of a metric value: 4 significant digits, exponent when tiny or huge. */
export const formatMetric = (value: number): string => {
  if (!Number.isFinite(value)) return String(value)
  if (value === 0) return "0"
  const abs = Math.abs(value)
  if (abs >= 1e5 || abs < 1e-3) return value.toExponential(2)
  if (Number.isInteger(value)) return String(value)
  return String(Number(value.toPrecision(4)))
}

const paramsBlock = (params: Params): string =>
  Object.entries(params).map(([k, v]) => `  ${k} = ${String(v)}`).join("\n")

/** Console backend: params once, then one line per epoch (batch metrics are left to the progress bar). */
export const consoleSpec = (info: RunInfo): SinkSpec => ({
  name: "console",
  remote: false,
  accepts: ["params", "metrics"],
  open: Effect.gen(function*() {
    const printed = new Set<string>()
    const printParams = (params: Params) =>
      Effect.suspend(() => {
        const fresh = Object.fromEntries(Object.entries(params).filter(([k]) => !printed.has(k)))
        for (const k of Object.keys(fresh)) printed.add(k)
        return Object.keys(fresh).length === 0 ? Effect.void : Console.log(`params:\n${paramsBlock(fresh)}`)
      })
    yield* Console.log(`run ${info.experiment}/${info.runName}${info.resumed ? " (resumed)" : ""} → ${info.runDir}`)
    yield* printParams(info.params)
    return {
      write: (calls) =>
        Effect.forEach(calls, (call) => {
          if (call._tag === "params") return printParams(call.params)
          if (call._tag !== "metrics" || call.kind === "batch") return Effect.void
          const values = Object.entries(call.metrics).map(([k, v]) => `${k}=${formatMetric(v)}`).join("  ")
          return Console.log(call.kind === "epoch" ? `epoch ${call.step}  ${values}` : `final  ${values}`)
        }, { discard: true }),
      flush: Effect.void,
      close: (status) => Console.log(`run ${info.runName} ${status === "success" ? "finished" : status}`)
    }
  })
})

/** Prints params once and one compact line per epoch. */
export const layerConsole = (info: RunInfo): Layer.Layer<Tracker> => layerFromSpecs([consoleSpec(info)])
