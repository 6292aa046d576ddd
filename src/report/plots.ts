import type { TopLevelSpec } from "vega-lite"
import type { EpochLoss } from "../rundir/RunDirectory.js"

/** What every report chart shares: the schema, a white background and the font. */
export const page = {
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  background: "white",
  config: { font: "DejaVu Sans", view: { stroke: "#ddd" } }
} as const

const base = { ...page, width: 640, height: 300 } as const

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
