import type { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import {
  DataColumnMissing,
  DataConfigInvalid,
  type DataFileInvalid,
  type DataFileMissing,
  DataTimeInvalid,
  type DataValueInvalid
} from "./errors.js"
import type { Column, Series } from "./Series.js"
import type { ColumnKind, ColumnRequest, Table, TableColumn } from "./table/Table.js"
import { readCsvTable } from "./table/readCsvTable.js"
import { formatTime, type TimeKind, utcDate } from "./time.js"

/** A column the reader needs, with the config path (or flag) that named it, for error messages. */
export interface ColumnRef {
  readonly column: string
  readonly field: string
}

/** How a row's time is read: one column, a year/month/day triple, or not at all. */
export type TimeSpec =
  | { readonly kind: "column"; readonly ref: ColumnRef }
  | {
    readonly kind: "ymd"
    readonly year: ColumnRef
    readonly month: ColumnRef
    readonly day: ColumnRef
    /** Name the composed time column gets, e.g. "date". */
    readonly name: string
  }
  | { readonly kind: "none" }

/** What to read from a CSV file. */
export interface CsvSpec {
  /** Absolute path of the file. */
  readonly file: string
  /** Config path (or flag) that named the file. */
  readonly field: string
  readonly description: string
  readonly delimiter: string
  /** Config path that sets the delimiter, suggested when the file looks separated by another one. */
  readonly delimiterField?: string
  readonly time: TimeSpec
  readonly target: ColumnRef
  readonly features: ReadonlyArray<ColumnRef>
}

/** The table columns a spec's time needs: one time column, the year/month/day columns, or none. */
export const timeRequests = (spec: Pick<CsvSpec, "time">): ReadonlyArray<ColumnRequest> =>
  spec.time.kind === "column"
    ? [{ ...spec.time.ref, kind: "time" }]
    : spec.time.kind === "ymd"
    ? [spec.time.year, spec.time.month, spec.time.day].map((ref) => ({ ...ref, kind: "numeric" }))
    : []

/** Numeric table columns for these refs. */
export const numericRequests = (refs: ReadonlyArray<ColumnRef>): Array<ColumnRequest> => refs.map((ref) => ({ ...ref, kind: "numeric" }))

/**
 * Reads a numeric series from a CSV file with a header row, streamed into typed arrays; every
 * failure names file, column and row.
 */
export const readCsvSeries: (
  spec: CsvSpec
) => Effect.Effect<
  Series,
  DataFileMissing | DataFileInvalid | DataColumnMissing | DataValueInvalid | DataTimeInvalid | DataConfigInvalid,
  FileSystem.FileSystem | Path.Path
> = Effect.fn("data.readCsvSeries")(function*(spec: CsvSpec) {
  // the target and features first: a wrong column name there is the likelier mistake
  const table = yield* readCsvTable({
    file: spec.file,
    field: spec.field,
    delimiter: spec.delimiter,
    delimiterField: spec.delimiterField,
    columns: [
      ...numericRequests([spec.target, ...spec.features]),
      ...timeRequests(spec)
    ]
  })
  const target = yield* numericColumn(spec, table, spec.target)
  const features: Array<Column> = []
  for (const ref of spec.features) features.push(yield* numericColumn(spec, table, ref))
  const time = yield* readTimes(spec, table)
  const order = checkIncreasing(spec, table, time)
  if (order !== undefined) return yield* order
  const series: Series = {
    description: spec.description,
    file: spec.file,
    timeColumn: time.column,
    timeKind: time.kind,
    times: time.values,
    time: Array.from(time.values, (value) => formatTime(time.kind, value)),
    target,
    lines: table.lines,
    features,
    future: []
  }
  return series
})

const columnOf = (
  spec: CsvSpec,
  table: Table,
  ref: ColumnRef,
  kind: ColumnKind
): Effect.Effect<TableColumn, DataColumnMissing | DataConfigInvalid> => {
  const column = table.columns.get(ref.column)
  if (column === undefined) {
    return Effect.fail(
      new DataColumnMissing({
        file: spec.file,
        field: ref.field,
        column: ref.column,
        available: table.header,
        message: `${spec.file} has no column '${ref.column}' (${ref.field}).`,
        fix: `Set ${ref.field} to one of the columns in the header of ${spec.file}.`
      })
    )
  }
  if (column.kind !== kind) {
    return Effect.fail(
      new DataConfigInvalid({
        file: spec.file,
        field: ref.field,
        message: `Column '${ref.column}' of ${spec.file} is named both as the time column and as a numeric column (${ref.field}).`,
        fix: `Use different columns for data.source.time_column and the target or feature columns.`
      })
    )
  }
  return Effect.succeed(column)
}

/** A numeric column of the table by its reference. */
export const numericColumn = (
  spec: CsvSpec,
  table: Table,
  ref: ColumnRef
): Effect.Effect<Column, DataColumnMissing | DataConfigInvalid> =>
  Effect.flatMap(columnOf(spec, table, ref, "numeric"), (column) =>
    column.kind === "numeric"
      ? Effect.succeed({ name: ref.column, values: column.values })
      : Effect.die(new Error(`column ${ref.column} is not numeric`)))

/** The times of every row of a table, in file order. */
export interface Times {
  readonly column: string | undefined
  readonly kind: TimeKind
  readonly values: Float64Array
}

/** The time of each row (row indices for `kind: none`), not yet checked for order. */
export const readTimes = (spec: CsvSpec, table: Table): Effect.Effect<Times, DataColumnMissing | DataTimeInvalid | DataConfigInvalid> =>
  Effect.gen(function*() {
    const time = spec.time
    const rows = table.rows
    if (time.kind === "none") {
      const values = new Float64Array(rows)
      for (let i = 0; i < rows; i++) values[i] = i
      return { column: undefined, kind: "none", values }
    }
    let kind: TimeKind
    let column: string
    let field: string
    let values: Float64Array
    if (time.kind === "column") {
      column = time.ref.column
      field = time.ref.field
      const read = yield* columnOf(spec, table, time.ref, "time")
      if (read.kind !== "time") return yield* Effect.die(new Error(`column ${column} is not a time column`))
      kind = read.timeKind
      values = read.values
    } else {
      column = time.name
      field = time.year.field
      const [years, months, days] = [
        (yield* numericColumn(spec, table, time.year)).values,
        (yield* numericColumn(spec, table, time.month)).values,
        (yield* numericColumn(spec, table, time.day)).values
      ]
      kind = "date"
      values = new Float64Array(rows)
      for (let i = 0; i < rows; i++) {
        const value = utcDate(years[i]!, months[i]!, days[i]!)
        if (value === undefined) {
          const line = table.lines[i]!
          const text = `${years[i]}-${months[i]}-${days[i]}`
          const label = `${time.year.column}/${time.month.column}/${time.day.column}`
          return yield* new DataTimeInvalid({
            file: spec.file,
            field,
            row: line,
            column: label,
            text,
            message: `Row ${line} of ${spec.file} has '${text}' in time column '${label}', which is not a valid date.`,
            fix: `Write times as ISO dates (2003-12-31), ISO datetimes (2003-12-31T06:00:00Z) or numbers, the same kind on every row.`
          })
        }
        values[i] = value
      }
    }
    return { column, kind, values }
  })

/** The config path that chose the time column, for error messages. */
const timeField = (time: TimeSpec): string =>
  time.kind === "column" ? time.ref.field : time.kind === "ymd" ? time.year.field : "data.source.time_column"

/**
 * Times must increase strictly from row to row: over the whole file, or, with `rows` (the table
 * rows of one series, in file order) and its `id`, within that series; the first offence is
 * returned, naming the lines (and the series).
 */
export const checkIncreasing = (
  spec: CsvSpec,
  table: Table,
  times: Times,
  series?: { readonly id: string; readonly column: string; readonly rows: Int32Array }
): DataTimeInvalid | undefined => {
  const { kind, values } = times
  const column = times.column ?? "time"
  const count = series === undefined ? values.length : series.rows.length
  const rowAt = (i: number) => (series === undefined ? i : series.rows[i]!)
  for (let i = 1; i < count; i++) {
    const [before, row] = [rowAt(i - 1), rowAt(i)]
    if (values[row]! > values[before]!) continue
    const line = table.lines[row]!
    const text = formatTime(kind, values[row]!)
    const same = values[row] === values[before]
    const fields = { file: spec.file, field: timeField(spec.time), row: line, column, text }
    if (series === undefined) {
      return new DataTimeInvalid({
        ...fields,
        message: `Row ${line} of ${spec.file} has time ${text} in column '${column}', ${
          same ? "the same as" : "earlier than"
        } the row before it (${formatTime(kind, values[before]!)}); times must increase from row to row.`,
        fix: `Sort ${spec.file} by '${column}' and remove duplicate times.`
      })
    }
    const earlier = table.lines[before]!
    const where = `series '${series.id}' (column '${series.column}') of ${spec.file}`
    return new DataTimeInvalid(
      same
        ? {
          ...fields,
          message: `Rows ${earlier} and ${line} of ${spec.file} are both series '${series.id}' at time ${text}: duplicate (series, time) rows.`,
          fix: `Keep one row per series and time in ${spec.file}: remove or merge row ${earlier} or row ${line}.`
        }
        : {
          ...fields,
          message: `Row ${line} of ${where} has time ${text}, earlier than the row before it in that series (row ${earlier}, ${
            formatTime(kind, values[before]!)
          }); times must increase within each series.`,
          fix: `Sort ${spec.file} by '${series.column}' and '${column}' (rows of different series may interleave).`
        }
    )
  }
  return undefined
}
