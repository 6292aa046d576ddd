import type { TopLevelSpec } from "vega-lite"
import type { SeriesReport, StepReport } from "../evaluate/breakdown.js"
import type { StoredPrediction } from "../rundir/RunDirectory.js"
import { page } from "./plots.js"

/** How the time column reads: dates, numbers (steps), or labels. */
const timeType = (rows: ReadonlyArray<StoredPrediction>): "temporal" | "quantitative" | "ordinal" => {
  if (rows.every((r) => r.time.trim() !== "" && Number.isFinite(Number(r.time)))) return "quantitative"
  if (rows.every((r) => Number.isFinite(Date.parse(r.time)))) return "temporal"
  return "ordinal"
}

/** The zoomed panel shows the last 8 weeks of dated rows, else the last 56 rows. */
export const zoomDays = 56
const dayMs = 86_400_000

/** The rows of the last `zoomDays` days (dated rows) or the last `zoomDays` rows, and how to say so. */
export const lastWeeks = (rows: ReadonlyArray<StoredPrediction>): { readonly rows: ReadonlyArray<StoredPrediction>; readonly label: string } => {
  if (rows.length > 0 && timeType(rows) === "temporal") {
    const end = rows.reduce((latest, r) => Math.max(latest, Date.parse(r.time)), -Infinity)
    return { rows: rows.filter((r) => Date.parse(r.time) > end - zoomDays * dayMs), label: "last 8 weeks" }
  }
  return { rows: rows.slice(-zoomDays), label: `last ${zoomDays} steps` }
}

const lines = ["actual", "predicted", "seasonal naive"] as const

/** One chart of actual vs predicted vs the seasonal naive over `rows`. */
const forecastChart = (rows: ReadonlyArray<StoredPrediction>, title: string, height: number) => {
  const type = timeType(rows)
  const time = (r: StoredPrediction) => (type === "quantitative" ? Number(r.time) : r.time)
  const values = rows.flatMap((r) =>
    ([[lines[0], r.actual], [lines[1], r.predicted], [lines[2], r.seasonal_naive]] as const).flatMap(([name, value]) =>
      value === null ? [] : [{ time: time(r), series: name, value }]
    )
  )
  return {
    title,
    width: 760,
    height,
    data: { values },
    mark: { type: "line", strokeWidth: 1.5 },
    encoding: {
      x: { field: "time", type, title: "time" },
      y: { field: "value", type: "quantitative", title: "value", scale: { zero: false } },
      color: { field: "series", type: "nominal", title: null, scale: { domain: [...lines], range: ["#333333", "#1f77b4", "#aaaaaa"] } },
      strokeDash: { field: "series", type: "nominal", title: null, scale: { domain: [...lines], range: [[1, 0], [1, 0], [4, 3]] } }
    }
  } as const
}

/**
 * Test-set actual vs predicted vs the seasonal-naive baseline of one series, with a zoomed panel
 * of its last 8 weeks below (a year and more of daily points is unreadable at this width).
 * `series` names it in the title when the run has many.
 */
export const forecastSpec = (rows: ReadonlyArray<StoredPrediction>, series?: string): TopLevelSpec => {
  const title = `Test set: actual vs predicted${series === undefined ? "" : ` (series ${series})`}`
  const zoom = lastWeeks(rows)
  if (zoom.rows.length === rows.length) return { ...page, ...forecastChart(rows, title, 300) }
  return { ...page, vconcat: [forecastChart(rows, title, 260), forecastChart(zoom.rows, `${zoom.label} of the test set`, 200)] }
}

/** The series a plot shows, its place in the ranking and its test forecasts. */
export interface PlottedSeries {
  readonly place: string
  readonly series: SeriesReport
  readonly rows: ReadonlyArray<StoredPrediction>
}

const metricName = (by: "mase" | "rmse") => by.toUpperCase()

/** The last 8 weeks of the test forecasts of a few series (best, median, worst), one chart each. */
export const seriesForecastSpec = (plotted: ReadonlyArray<PlottedSeries>, by: "mase" | "rmse"): TopLevelSpec => ({
  ...page,
  vconcat: plotted.map(({ place, series, rows }) => {
    const zoom = lastWeeks(rows)
    const value = series.model[by]
    return forecastChart(zoom.rows, `${place}: ${series.id} (test ${metricName(by)} ${Number.isFinite(value) ? value.toPrecision(3) : "-"}), ${zoom.label}`, 180)
  })
})

const forecasters = [["model", "#1f77b4"], ["seasonal naive", "#aaaaaa"]] as const

/** Series shown one bar each up to this many; more get a histogram. */
export const barsUpTo = 30

/**
 * The distribution of per-series test errors of the model and of the seasonal naive: one bar
 * per series (sorted) for a few series, a histogram for many. MASE below 1 beats the in-sample
 * seasonal-naive error of the series' own train rows.
 */
export const seriesErrorSpec = (series: ReadonlyArray<SeriesReport>, by: "mase" | "rmse"): TopLevelSpec => {
  const values = series.flatMap((s) =>
    ([["model", s.model[by]], ["seasonal naive", s.baselines.seasonal_naive[by]]] as const).flatMap(([forecaster, value]) =>
      Number.isFinite(value) ? [{ id: s.id, forecaster, value }] : []
    )
  )
  const color = { field: "forecaster", type: "nominal", title: null, scale: { domain: forecasters.map(([f]) => f), range: forecasters.map(([, c]) => c) } } as const
  const axisTitle = by === "mase" ? "test MASE (1 = in-sample seasonal-naive error)" : "test RMSE"
  const title = `Test ${metricName(by)} per series (${series.length} series)`
  // MASE 1: as large as the seasonal naive's error on the series' own train rows
  const unit = by === "mase"
    ? [{ data: { values: [{ value: 1 }] }, mark: { type: "rule" as const, strokeDash: [4, 4], color: "#d62728" }, encoding: { x: { field: "value", type: "quantitative" as const } } }]
    : []
  if (series.length <= barsUpTo) {
    return {
      ...page,
      title,
      width: 640,
      layer: [
        {
          data: { values },
          mark: { type: "bar" },
          encoding: {
            y: { field: "id", type: "nominal", title: "series", sort: series.map((s) => s.id) },
            yOffset: { field: "forecaster", type: "nominal", sort: forecasters.map(([f]) => f) },
            x: { field: "value", type: "quantitative", title: axisTitle },
            color
          }
        },
        ...unit
      ]
    }
  }
  return {
    ...page,
    title,
    width: 640,
    height: 300,
    layer: [
      {
        data: { values },
        mark: { type: "bar", opacity: 0.6 },
        encoding: {
          x: { field: "value", type: "quantitative", bin: { maxbins: 40 }, title: axisTitle },
          y: { aggregate: "count", type: "quantitative", title: "series", stack: null },
          color
        }
      },
      ...unit
    ]
  }
}

/** The error of each horizon step (1 = the first forecast step) of the model and both naive baselines. */
export const horizonSpec = (steps: ReadonlyArray<StepReport>, by: "mase" | "rmse"): TopLevelSpec => {
  const values = steps.flatMap((s) =>
    ([["model", s.model[by]], ["last value", s.baselines.last_value[by]], ["seasonal naive", s.baselines.seasonal_naive[by]]] as const).flatMap((
      [forecaster, value]
    ) => (Number.isFinite(value) ? [{ step: s.step, forecaster, value }] : []))
  )
  return {
    ...page,
    title: `Test ${metricName(by)} by horizon step`,
    width: 640,
    height: 300,
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "step", type: "quantitative", title: "horizon step", axis: { tickMinStep: 1 } },
      y: { field: "value", type: "quantitative", title: `test ${metricName(by)}`, scale: { zero: false } },
      color: {
        field: "forecaster",
        type: "nominal",
        title: null,
        scale: { domain: ["model", "last value", "seasonal naive"], range: ["#1f77b4", "#ff7f0e", "#aaaaaa"] }
      }
    }
  }
}
