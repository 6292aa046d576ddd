import { Either } from "effect"
import { calendarColumns, type KnownColumn, wantsCalendar } from "./calendar.js"
import type { CalendarConfig } from "./DataConfig.js"
import { DataConfigInvalid } from "./errors.js"
import { holidayDates, type HolidayDates } from "./holidays.js"
import type { Column, Series } from "./Series.js"

/** One input feature in original units, and whether the scaler applies to it. */
export type InputColumn = KnownColumn

/** The past features of each row: the target, then the CSV feature columns (all scaled). */
export const pastColumns = (series: Series): Array<InputColumn> => [
  { name: series.target.name, values: series.target.values, scaled: true },
  ...series.features.map((column) => ({ name: column.name, values: column.values, scaled: true }))
]

/**
 * The known-future features on a time axis (epoch ms): the calendar and holiday features, then
 * the CSV future columns (scaled), whose values must be given on the same axis.
 */
export const knownColumns = (
  times: Float64Array,
  calendar: CalendarConfig,
  holidays: { readonly dates: HolidayDates; readonly names: ReadonlyArray<string> } | undefined,
  future: ReadonlyArray<Column>
): Array<InputColumn> => [
  ...(wantsCalendar(calendar) ? calendarColumns(times, calendar, holidays) : []),
  ...future.map((column) => ({ name: column.name, values: column.values, scaled: true }))
]

/**
 * The holidays of the calendar config's country around a time axis (a year of margin each
 * side, so the days to the next and since the last holiday are right at the ends); undefined
 * when holidays are off; a DataConfigInvalid naming the field for an unknown country or state.
 */
export const holidaysAround = (
  file: string,
  calendar: CalendarConfig,
  times: Float64Array
): Either.Either<HolidayDates | undefined, DataConfigInvalid> => {
  const { country } = calendar.holidays
  if (country === null || times.length === 0) return Either.right(undefined)
  const first = new Date(times[0]!).getUTCFullYear()
  const last = new Date(times[times.length - 1]!).getUTCFullYear()
  return Either.mapLeft(
    holidayDates({ ...calendar.holidays, country }, first - 1, last + 1),
    (problem) => new DataConfigInvalid({ file, ...problem })
  )
}
