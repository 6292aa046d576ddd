import type { SeriesReport } from "./breakdown.js"

/** Series ordered best first by the model's error, and the metric that ordered them. */
export interface RankedSeries {
  /** MASE when every series has a finite one (it compares series of any size), else RMSE. */
  readonly by: "mase" | "rmse"
  readonly series: ReadonlyArray<SeriesReport>
}

/** Rank series by the model's MASE, or by RMSE when some series has no finite MASE (e.g. constant train rows); ties keep series order. */
export const rankSeries = (series: ReadonlyArray<SeriesReport>): RankedSeries => {
  const by = series.every((s) => Number.isFinite(s.model.mase)) ? "mase" : "rmse"
  return { by, series: [...series].sort((x, y) => x.model[by] - y.model[by]) }
}

/** The `k` series with the largest model error, worst first. */
export const worstSeries = (series: ReadonlyArray<SeriesReport>, k: number): RankedSeries => {
  const ranked = rankSeries(series)
  return { by: ranked.by, series: [...ranked.series].reverse().slice(0, k) }
}

/** The best, median and worst series by the model's error (fewer when there are fewer series), each named by its place. */
export const representativeSeries = (series: ReadonlyArray<SeriesReport>): ReadonlyArray<{ readonly place: "best" | "median" | "worst"; readonly series: SeriesReport }> => {
  const ranked = rankSeries(series).series
  if (ranked.length === 0) return []
  const places = [["best", 0], ["median", Math.floor((ranked.length - 1) / 2)], ["worst", ranked.length - 1]] as const
  const seen = new Set<number>()
  return places.flatMap(([place, i]) => {
    if (seen.has(i)) return []
    seen.add(i)
    return [{ place, series: ranked[i]! }]
  })
}
