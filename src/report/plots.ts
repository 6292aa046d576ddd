import type { TopLevelSpec } from "vega-lite"
import type { EpochLoss, StoredPrediction } from "../rundir/RunDirectory.js"

const base = {
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  width: 640,
  height: 300,
  background: "white",
  config: { font: "DejaVu Sans", view: { stroke: "#ddd" } }
} as const

/** The epoch with the lowest validation loss (else training loss); undefined without data. */
export const bestEpochOf = (losses: ReadonlyArray<EpochLoss>): EpochLoss | undefined => {
  const validated = losses.some((l) => l.validation !== null)
  const score = (l: EpochLoss) => (validated ? l.validation : l.train)
  return losses.reduce<EpochLoss | undefined>((best, l) => {
    const s = score(l)
    if (s === null) return best
    return best === undefined || s < (score(best) ?? Infinity) ? l : best
  }, undefined)
}

/** Train and validation loss per epoch, with the best epoch marked. */
export const lossSpec = (losses: ReadonlyArray<EpochLoss>, bestEpoch?: number): TopLevelSpec => {
  const rows = losses.flatMap((l) => [
    ...(l.train === null ? [] : [{ epoch: l.epoch, split: "train", loss: l.train }]),
    ...(l.validation === null ? [] : [{ epoch: l.epoch, split: "validation", loss: l.validation }])
  ])
  const best = losses.find((l) => l.epoch === bestEpoch) ?? bestEpochOf(losses)
  const bestLoss = best === undefined ? null : best.validation ?? best.train
  const marker = best === undefined || bestLoss === null ? [] : [{ epoch: best.epoch, loss: bestLoss, label: `best epoch ${best.epoch}` }]
  const x = { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1 } } as const
  const y = { field: "loss", type: "quantitative", title: "loss", scale: { zero: false } } as const
  return {
    ...base,
    title: "Loss per epoch",
    layer: [
      {
        data: { values: rows },
        mark: { type: "line", point: true },
        encoding: {
          x,
          y,
          color: {
            field: "split",
            type: "nominal",
            title: null,
            scale: { domain: ["train", "validation"], range: ["#1f77b4", "#ff7f0e"] }
          }
        }
      },
      { data: { values: marker }, mark: { type: "rule", strokeDash: [4, 4], color: "#888" }, encoding: { x } },
      { data: { values: marker }, mark: { type: "point", shape: "diamond", size: 140, filled: true, color: "#d62728" }, encoding: { x, y } },
      {
        data: { values: marker },
        mark: { type: "text", align: "left", dx: 8, dy: -10, color: "#d62728" },
        encoding: { x, y, text: { field: "label" } }
      }
    ]
  }
}

/** How the time column reads: dates, numbers (steps), or labels. */
const timeType = (rows: ReadonlyArray<StoredPrediction>): "temporal" | "quantitative" | "ordinal" => {
  if (rows.every((r) => r.time.trim() !== "" && Number.isFinite(Number(r.time)))) return "quantitative"
  if (rows.every((r) => Number.isFinite(Date.parse(r.time)))) return "temporal"
  return "ordinal"
}

/** Test-set actual vs predicted vs the seasonal-naive baseline. */
export const forecastSpec = (rows: ReadonlyArray<StoredPrediction>): TopLevelSpec => {
  const type = timeType(rows)
  const time = (r: StoredPrediction) => (type === "quantitative" ? Number(r.time) : r.time)
  const series = [
    ["actual", (r: StoredPrediction) => r.actual],
    ["predicted", (r: StoredPrediction) => r.predicted],
    ["seasonal naive", (r: StoredPrediction) => r.seasonal_naive]
  ] as const
  const values = rows.flatMap((r) =>
    series.flatMap(([name, get]) => {
      const value = get(r)
      return value === null ? [] : [{ time: time(r), series: name, value }]
    })
  )
  return {
    ...base,
    width: 760,
    title: "Test set: actual vs predicted",
    data: { values },
    mark: { type: "line", strokeWidth: 1.5 },
    encoding: {
      x: { field: "time", type, title: "time" },
      y: { field: "value", type: "quantitative", title: "value", scale: { zero: false } },
      color: {
        field: "series",
        type: "nominal",
        title: null,
        scale: { domain: ["actual", "predicted", "seasonal naive"], range: ["#333333", "#1f77b4", "#aaaaaa"] }
      },
      strokeDash: {
        field: "series",
        type: "nominal",
        title: null,
        scale: { domain: ["actual", "predicted", "seasonal naive"], range: [[1, 0], [1, 0], [4, 3]] }
      }
    }
  }
}
