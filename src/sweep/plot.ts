import type { TopLevelSpec } from "vega-lite"
import type { RungRecord, TrialRecord } from "./domain.js"
import type { Space } from "./space.js"

const base = {
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  background: "white",
  config: { font: "DejaVu Sans", view: { stroke: "#ddd" } }
} as const

const stateColors = { domain: ["complete", "pruned", "failed"], range: ["#1f77b4", "#ff7f0e", "#d62728"] }

/** Whether a parameter reads best on a log axis: a log range, or positive numbers spanning 20× or more. */
const logAxis = (space: Space, path: string, records: ReadonlyArray<TrialRecord>): boolean => {
  const s = space.find(([p]) => p === path)?.[1]
  if (s?._tag === "range") return s.log
  const values = records.map((r) => r.params[path]).filter((v): v is number => typeof v === "number")
  return values.length > 1 && values.every((v) => v > 0) && Math.max(...values) / Math.min(...values) >= 20
}

/**
 * The sweep metric of each complete trial against each parameter, one panel per parameter (pruned
 * trials have no final metric: the rung plot shows them).
 */
export const metricSpec = (records: ReadonlyArray<TrialRecord>, space: Space, metric: string): TopLevelSpec => {
  const scored = records.filter((r) => r.state === "complete" && r.metric !== null)
  return {
    ...base,
    title: `${metric} vs each parameter (${scored.length} complete trials)`,
    hconcat: space.map(([path]) => {
      const numeric = scored.every((r) => typeof r.params[path] === "number")
      return {
        width: 260,
        height: 220,
        data: {
          values: scored.map((r) => ({ value: r.params[path], score: r.metric, state: r.state, trial: r.id }))
        },
        mark: { type: "point", filled: true, size: 80 },
        encoding: {
          x: numeric
            ? { field: "value", type: "quantitative", title: path, scale: logAxis(space, path, records) ? { type: "log" } : { zero: false } }
            : { field: "value", type: "nominal", title: path },
          y: { field: "score", type: "quantitative", title: metric, scale: { zero: false } },
          color: { field: "state", type: "nominal", title: null, scale: stateColors }
        }
      }
    })
  } as TopLevelSpec
}

/** ASHA's rungs: each trial's per-epoch metric at each rung it reached (a line per trial). */
export const rungSpec = (rungs: ReadonlyArray<RungRecord>, records: ReadonlyArray<TrialRecord>, epochMetric: string): TopLevelSpec => {
  const stateOf = new Map(records.map((r) => [r.id, r.state]))
  return {
    ...base,
    width: 560,
    height: 280,
    title: `ASHA rungs: ${epochMetric} at each rung epoch`,
    data: { values: rungs.map((r) => ({ rung: r.rung, value: r.value, trial: r.trial, state: stateOf.get(r.trial) ?? "waiting" })) },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "rung", type: "ordinal", title: "rung (epoch)", axis: { labelAngle: 0 } },
      y: { field: "value", type: "quantitative", title: epochMetric, scale: { type: "log" } },
      detail: { field: "trial", type: "nominal" },
      color: { field: "state", type: "nominal", title: null, scale: stateColors }
    }
  }
}
