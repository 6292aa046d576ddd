import { FileSystem, Path } from "@effect/platform"
import { parse } from "csv-parse/sync"
import { Effect, Either, Schema } from "effect"
import { didYouMeanSuffix } from "./didYouMean.js"
import {
  DataColumnMissing,
  DataFileInvalid,
  DataFileMissing,
  DataTimeInvalid,
  DataValueInvalid
} from "./errors.js"
import type { Column, Series } from "./Series.js"
import { formatTime, parseNumber, parseTime, type TimeKind, utcDate } from "./time.js"

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
  readonly time: TimeSpec
  readonly target: ColumnRef
  readonly features: ReadonlyArray<ColumnRef>
}

const ParsedRecords = Schema.Array(Schema.Struct({
  record: Schema.Array(Schema.String),
  info: Schema.Struct({ lines: Schema.Number })
}))

const CsvFailure = Schema.Struct({ message: Schema.String, lines: Schema.optional(Schema.Number) })

interface Row {
  readonly cells: ReadonlyArray<string>
  /** Line number in the file (header = 1). */
  readonly line: number
}

/** Reads a numeric series from a CSV file with a header row; every failure names file, column and row. */
export const readCsvSeries: (
  spec: CsvSpec
) => Effect.Effect<
  Series,
  DataFileMissing | DataFileInvalid | DataColumnMissing | DataValueInvalid | DataTimeInvalid,
  FileSystem.FileSystem | Path.Path
> = Effect.fn("data.readCsvSeries")(function*(spec: CsvSpec) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const exists = yield* fs.exists(spec.file).pipe(Effect.orElseSucceed(() => false))
  if (!exists) {
    const directory = path.dirname(spec.file)
    const siblings = yield* fs.readDirectory(directory).pipe(Effect.orElseSucceed((): Array<string> => []))
    const hint = didYouMeanSuffix(path.basename(spec.file), siblings)
    return yield* new DataFileMissing({
      file: spec.file,
      field: spec.field,
      message: `The data file ${spec.file} (${spec.field}) does not exist.${hint}`,
      fix: `Check ${spec.field}; a relative path is resolved from the config file's directory (${directory}).`
    })
  }
  const text = yield* fs.readFileString(spec.file).pipe(
    Effect.mapError((error) =>
      new DataFileInvalid({
        file: spec.file,
        field: spec.field,
        message: `The data file ${spec.file} cannot be read: ${error.message}.`,
        fix: `Check that ${spec.file} is a readable UTF-8 text file.`
      })
    )
  )
  const rows = yield* parseRows(spec, text)
  return yield* seriesFromRows(spec, rows)
})

const parseRows = (spec: CsvSpec, text: string): Effect.Effect<Array<Row>, DataFileInvalid> =>
  Effect.try({
    try: () => parse(text, { delimiter: spec.delimiter, info: true, bom: true, trim: true, skip_empty_lines: true }),
    catch: (error) => {
      const failure = Schema.decodeUnknownOption(CsvFailure)(error)
      const detail = failure._tag === "Some" ? failure.value : { message: String(error), lines: undefined }
      return new DataFileInvalid({
        file: spec.file,
        field: spec.field,
        line: detail.lines,
        message: `${spec.file} is not valid CSV${detail.lines === undefined ? "" : ` at line ${detail.lines}`}: ${
          detail.message.replace(/\.$/, "")
        }.`,
        fix: `Make every row of ${spec.file} have the same number of fields as the header, separated by "${
          spec.delimiter === "\t" ? "\\t" : spec.delimiter
        }" (set data.source.delimiter if it is another character).`
      })
    }
  }).pipe(
    Effect.flatMap((parsed) =>
      Schema.decodeUnknown(ParsedRecords)(parsed).pipe(
        Effect.mapError((error) =>
          new DataFileInvalid({
            file: spec.file,
            field: spec.field,
            message: `${spec.file} could not be parsed as CSV: ${error.message}.`,
            fix: `Check that ${spec.file} is a CSV file with a header row.`
          })
        )
      )
    ),
    Effect.map((records) => records.map(({ info, record }) => ({ cells: record, line: info.lines })))
  )

const seriesFromRows = Effect.fn("data.seriesFromRows")(function*(spec: CsvSpec, rows: ReadonlyArray<Row>) {
  const header = rows[0]
  if (header === undefined) {
    return yield* new DataFileInvalid({
      file: spec.file,
      field: spec.field,
      message: `${spec.file} is empty; it needs a header row and one row per time step.`,
      fix: `Write the column names on the first line of ${spec.file}, then the data.`
    })
  }
  const body = rows.slice(1)
  const indexOf = (ref: ColumnRef) => {
    const index = header.cells.indexOf(ref.column)
    if (index >= 0) return Either.right(index)
    return Either.left(
      new DataColumnMissing({
        file: spec.file,
        field: ref.field,
        column: ref.column,
        available: header.cells,
        message: `${spec.file} has no column '${ref.column}' (${ref.field}); its columns are ${
          header.cells.map((name) => `'${name}'`).join(", ")
        }.${didYouMeanSuffix(ref.column, header.cells)}`,
        fix: `Set ${ref.field} to one of the columns in the header of ${spec.file}.`
      })
    )
  }
  // every named column must exist before any cell is read: a wrong name is the likelier mistake
  const timeRefs = spec.time.kind === "column"
    ? [spec.time.ref]
    : spec.time.kind === "ymd"
    ? [spec.time.year, spec.time.month, spec.time.day]
    : []
  for (const ref of [spec.target, ...spec.features, ...timeRefs]) yield* indexOf(ref)

  const numeric = (ref: ColumnRef) =>
    Effect.gen(function*() {
      const index = yield* indexOf(ref)
      const values = new Float64Array(body.length)
      for (let i = 0; i < body.length; i++) {
        const row = body[i]!
        const text = row.cells[index] ?? ""
        const value = parseNumber(text)
        if (value === undefined) {
          return yield* new DataValueInvalid({
            file: spec.file,
            field: ref.field,
            row: row.line,
            column: ref.column,
            text,
            message: `Row ${row.line} of ${spec.file} has ${
              text === "" ? "an empty cell" : `'${text}'`
            } in column '${ref.column}', which is not a number.`,
            fix: `Put a plain number (like 12.5) in row ${row.line} of column '${ref.column}', or remove that row.`
          })
        }
        values[i] = value
      }
      const column: Column = { name: ref.column, values }
      return column
    })

  const target = yield* numeric(spec.target)
  const features: Array<Column> = []
  for (const ref of spec.features) features.push(yield* numeric(ref))
  const time = yield* readTimes(spec, body, indexOf)

  const series: Series = {
    description: spec.description,
    file: spec.file,
    timeColumn: time.column,
    timeKind: time.kind,
    times: time.values,
    time: Array.from(time.values, (value) => formatTime(time.kind, value)),
    target,
    features,
    future: []
  }
  return series
})

interface Times {
  readonly column: string | undefined
  readonly kind: TimeKind
  readonly values: Float64Array
}

const readTimes = (
  spec: CsvSpec,
  body: ReadonlyArray<Row>,
  indexOf: (ref: ColumnRef) => Either.Either<number, DataColumnMissing>
): Effect.Effect<Times, DataColumnMissing | DataTimeInvalid> =>
  Effect.gen(function*() {
    const time = spec.time
    const values = new Float64Array(body.length)
    if (time.kind === "none") {
      for (let i = 0; i < body.length; i++) values[i] = i
      return { column: undefined, kind: "none", values }
    }
    const invalid = (row: Row, column: string, field: string, text: string, expected: string) =>
      new DataTimeInvalid({
        file: spec.file,
        field,
        row: row.line,
        column,
        text,
        message: `Row ${row.line} of ${spec.file} has '${text}' in time column '${column}', which is not ${expected}.`,
        fix: `Write times as ISO dates (2003-12-31), ISO datetimes (2003-12-31T06:00:00Z) or numbers, the same kind on every row.`
      })

    let kind: TimeKind = "date"
    let column: string
    let field: string
    if (time.kind === "column") {
      column = time.ref.column
      field = time.ref.field
      const index = yield* indexOf(time.ref)
      let family: "calendar" | "number" | undefined
      let hasClock = false
      for (let i = 0; i < body.length; i++) {
        const row = body[i]!
        const text = row.cells[index] ?? ""
        const parsed = parseTime(text)
        const rowFamily = parsed === undefined ? undefined : parsed.kind === "number" ? "number" : "calendar"
        if (parsed === undefined || (family !== undefined && rowFamily !== family)) {
          const expected = family === undefined
            ? "an ISO date, an ISO datetime or a number"
            : family === "number"
            ? "a number like the rows above"
            : "a valid ISO date or datetime like the rows above"
          return yield* invalid(row, column, field, text, expected)
        }
        family = rowFamily
        hasClock ||= parsed.kind === "datetime"
        values[i] = parsed.value
      }
      kind = family === "number" ? "number" : hasClock ? "datetime" : "date"
    } else {
      column = time.name
      field = time.year.field
      const indices = [yield* indexOf(time.year), yield* indexOf(time.month), yield* indexOf(time.day)] as const
      const label = `${time.year.column}/${time.month.column}/${time.day.column}`
      for (let i = 0; i < body.length; i++) {
        const row = body[i]!
        const parts = indices.map((index) => row.cells[index] ?? "")
        const [year, month, day] = parts.map(parseNumber)
        const value = year === undefined || month === undefined || day === undefined
          ? undefined
          : utcDate(year, month, day)
        if (value === undefined) return yield* invalid(row, label, field, parts.join("-"), "a valid date")
        values[i] = value
      }
    }
    for (let i = 1; i < body.length; i++) {
      if (!(values[i]! > values[i - 1]!)) {
        const row = body[i]!
        return yield* new DataTimeInvalid({
          file: spec.file,
          field,
          row: row.line,
          column,
          text: formatTime(kind, values[i]!),
          message: `Row ${row.line} of ${spec.file} has time ${formatTime(kind, values[i]!)} in column '${column}', ${
            values[i] === values[i - 1] ? "the same as" : "earlier than"
          } the row before it (${formatTime(kind, values[i - 1]!)}); times must increase from row to row.`,
          fix: `Sort ${spec.file} by '${column}' and remove duplicate times.`
        })
      }
    }
    return { column, kind, values }
  })
