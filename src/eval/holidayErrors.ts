import { Either } from "effect"
import { holidayDates, type HolidaySpecProblem } from "../data/holidays.js"

/** The holidays the births analysis calls major: the days with the largest effect on US births. */
export const majorUsHolidays: ReadonlyArray<string> = [
  "New Year's Day",
  "Memorial Day",
  "Independence Day",
  "Labor Day",
  "Thanksgiving Day",
  "Christmas Day"
]

/** One forecast in original units, on an ISO date. */
export interface DatedForecast {
  readonly time: string
  readonly actual: number
  readonly predicted: number
}

/** RMSE on the days within `radius` days of a holiday and on the rest, with their counts. */
export interface HolidaySplitRmse {
  readonly near: { readonly rmse: number; readonly count: number; readonly sse: number }
  readonly rest: { readonly rmse: number; readonly count: number; readonly sse: number }
  /** Share of the total squared error on the days near a holiday (0–1). */
  readonly nearShareOfSquaredError: number
}

const MS_PER_DAY = 86_400_000

/**
 * Splits forecasts into the days within `radius` days of one of `names` (a holiday of
 * `country`, observed days included) and the others, and gives the RMSE of each part.
 */
export const holidaySplitRmse = (
  rows: ReadonlyArray<DatedForecast>,
  country: string,
  names: ReadonlyArray<string>,
  radius: number
): Either.Either<HolidaySplitRmse, HolidaySpecProblem> => {
  const years = rows.map((row) => Number(row.time.slice(0, 4)))
  const from = Math.min(...years) - 1
  const to = Math.max(...years) + 1
  return Either.map(
    holidayDates({ country, state: null, types: ["public", "bank", "optional", "observance"] }, from, to),
    (dates) => {
      const holidayDays = [...dates.entries()]
        .filter(([, on]) => on.some((name) => names.includes(name)))
        .map(([iso]) => Date.parse(`${iso}T00:00:00Z`) / MS_PER_DAY)
      const near = { sse: 0, count: 0 }
      const rest = { sse: 0, count: 0 }
      for (const row of rows) {
        const day = Date.parse(`${row.time.slice(0, 10)}T00:00:00Z`) / MS_PER_DAY
        const part = holidayDays.some((h) => Math.abs(h - day) <= radius) ? near : rest
        part.sse += (row.predicted - row.actual) ** 2
        part.count++
      }
      const rmse = (part: { sse: number; count: number }) => ({
        ...part,
        rmse: part.count === 0 ? Number.NaN : Math.sqrt(part.sse / part.count)
      })
      const total = near.sse + rest.sse
      return { near: rmse(near), rest: rmse(rest), nearShareOfSquaredError: total === 0 ? 0 : near.sse / total }
    }
  )
}
