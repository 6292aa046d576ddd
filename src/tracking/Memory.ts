import { Effect, type Layer } from "effect"
import { layerFromSpecs } from "./FanOut.js"
import type { Call, SinkSpec } from "./Sink.js"
import type { RunStatus, Tracker } from "./Tracker.js"

/** Everything a memory tracker saw, for tests to assert on. */
export interface MemoryRecord {
  /** Every call in order, with its data copied. */
  readonly calls: ReadonlyArray<Call>
  readonly flushes: number
  /** The status the run was finalized with; undefined while it is open. */
  readonly status: RunStatus | undefined
}

/** A test double: a Tracker layer plus the live record of what it was told. */
export interface MemoryTracker {
  readonly layer: Layer.Layer<Tracker>
  readonly record: MemoryRecord
  /** The sink, to put the memory backend into a fan-out (`layerFromNames(["memory", ...])`). */
  readonly spec: SinkSpec
  /** The run's tags as last set. */
  readonly tags: () => Readonly<Record<string, string>>
  /** Metric calls of one kind as `{ step, metrics }`, in order. */
  readonly metrics: (kind: "batch" | "epoch" | "final") => ReadonlyArray<{ readonly step: number; readonly metrics: Readonly<Record<string, number>> }>
}

const copy = (call: Call): Call => {
  switch (call._tag) {
    case "params":
      return { ...call, params: { ...call.params } }
    case "tags":
      return { ...call, tags: { ...call.tags } }
    case "graph":
      return { ...call, spec: { ...call.spec, units: [...call.spec.units] } }
    case "metrics":
      return { ...call, metrics: { ...call.metrics } }
    case "histograms":
      return {
        ...call,
        values: Object.fromEntries(Object.entries(call.values).map(([k, v]) => [k, Float32Array.from(v)]))
      }
    case "text":
      return call
  }
}

/** A fresh in-memory tracker: `Effect.provide(program, mem.layer)`, then assert on `mem.record`. */
export const makeMemory = (): MemoryTracker => {
  const calls: Array<Call> = []
  const record: { calls: Array<Call>; flushes: number; status: RunStatus | undefined } = {
    calls,
    flushes: 0,
    status: undefined
  }
  const spec: SinkSpec = {
    name: "memory",
    remote: false,
    accepts: ["params", "tags", "graph", "metrics", "histograms", "text"],
    open: Effect.sync(() => ({
      write: (batch) => Effect.sync(() => {
        for (const call of batch) calls.push(copy(call))
      }),
      flush: Effect.sync(() => {
        record.flushes += 1
      }),
      close: (status) => Effect.sync(() => {
        record.status = status
      })
    }))
  }
  return {
    layer: layerFromSpecs([spec]),
    record,
    spec,
    tags: () => Object.assign({}, ...calls.map((call) => (call._tag === "tags" ? call.tags : {}))),
    metrics: (kind) =>
      calls.flatMap((call) =>
        call._tag === "metrics" && call.kind === kind ? [{ step: call.step, metrics: call.metrics }] : []
      )
  }
}

/** The Tracker layer of a memory tracker made by `makeMemory`. */
export const layerMemory = (memory: MemoryTracker = makeMemory()): Layer.Layer<Tracker> => memory.layer
