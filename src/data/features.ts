import type { DataConfig, ScalerKind } from "./DataConfig.js"
import { type ColumnScaler, fitScaler, identityScaler } from "./scaler.js"
import type { Series } from "./Series.js"
import { dayOfWeek, dayOfYear } from "./time.js"

/** Which calendar encodings to add. */
export type CalendarSpec = DataConfig["calendar_features"]

/** One input feature per time step, in original units, and whether the scaler applies to it. */
export interface InputColumn {
  readonly name: string
  readonly values: Float64Array
  readonly scaled: boolean
}

/** True when at least one calendar encoding is on. */
export const wantsCalendar = (calendar: CalendarSpec): boolean => calendar.day_of_week || calendar.day_of_year

/**
 * Sin/cos encodings of the date of each time: day of week (angle 2π·d/7, d = 0 on Sunday) and
 * day of year (angle 2π·d/days-in-year, d = 0 on January 1st). Times are epoch milliseconds.
 */
export const calendarColumns = (times: Float64Array, calendar: CalendarSpec): Array<InputColumn> => {
  const columns: Array<InputColumn> = []
  const encode = (name: string, angle: (time: number) => number) => {
    const sin = new Float64Array(times.length)
    const cos = new Float64Array(times.length)
    times.forEach((time, i) => {
      const a = angle(time)
      sin[i] = Math.sin(a)
      cos[i] = Math.cos(a)
    })
    columns.push({ name: `${name}_sin`, values: sin, scaled: false }, { name: `${name}_cos`, values: cos, scaled: false })
  }
  if (calendar.day_of_week) encode("day_of_week", (time) => (2 * Math.PI * dayOfWeek(time)) / 7)
  if (calendar.day_of_year) {
    encode("day_of_year", (time) => {
      const { day, daysInYear } = dayOfYear(time)
      return (2 * Math.PI * day) / daysInYear
    })
  }
  return columns
}

/** The model's inputs per time step: the target, the feature columns, then calendar sin/cos. */
export const inputColumns = (series: Series, calendar: CalendarSpec): Array<InputColumn> => [
  { name: series.target.name, values: series.target.values, scaled: true },
  ...series.features.map((column) => ({ name: column.name, values: column.values, scaled: true })),
  ...(wantsCalendar(calendar) ? calendarColumns(series.times, calendar) : [])
]

/** Fits one scaler per input column on the first `trainRows` rows; calendar columns stay as they are. */
export const fitScalers = (
  kind: ScalerKind,
  columns: ReadonlyArray<InputColumn>,
  trainRows: number
): Array<ColumnScaler> => columns.map((column) => column.scaled ? fitScaler(kind, column.values, trainRows) : identityScaler)

/** Row-major [rows, features] matrix of the scaled inputs. */
export const scaledMatrix = (
  columns: ReadonlyArray<InputColumn>,
  scalers: ReadonlyArray<ColumnScaler>,
  rows: number
): Float64Array => {
  const features = columns.length
  const matrix = new Float64Array(rows * features)
  columns.forEach((column, f) => {
    const { center, scale } = scalers[f]!
    for (let r = 0; r < rows; r++) matrix[r * features + f] = (column.values[r]! - center) / scale
  })
  return matrix
}
