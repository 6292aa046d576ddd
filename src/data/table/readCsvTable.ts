import { FileSystem, Path } from "@effect/platform"
import { parse } from "csv-parse"
import { Effect, Schema } from "effect"
import { createReadStream } from "node:fs"
import { pipeline } from "node:stream"
import { inspectInputPath } from "../../fs/regularFile.js"
import { didYouMeanSuffix } from "../didYouMean.js"
import { type DataColumnMissing, DataFileInvalid, DataFileMissing, DataTimeInvalid, DataValueInvalid } from "../errors.js"
import { type ColumnBuilder, columnBuilder } from "./builders.js"
import { growableInt32 } from "./Growable.js"
import { checkHeader, type HeaderContext } from "./header.js"
import type { ColumnRequest, Table, TableColumn } from "./Table.js"

/** What to read from a CSV file with a header row. */
export interface CsvTableSpec extends HeaderContext {
  readonly columns: ReadonlyArray<ColumnRequest>
  /**
   * A column whose cell names the row's series (a long-format panel's id column): an error in a
   * cell of that row then says which series the row belongs to.
   */
  readonly seriesColumn?: string
}

/** The error for a bad cell, saying which series its row belongs to. */
const inSeries = (problem: DataValueInvalid | DataTimeInvalid, id: string): DataValueInvalid | DataTimeInvalid => {
  const fields = {
    file: problem.file,
    field: problem.field,
    row: problem.row,
    column: problem.column,
    text: problem.text,
    message: problem.message.replace(/\.$/, ` (series '${id}').`),
    fix: problem.fix
  }
  return problem._tag === "DataValueInvalid" ? new DataValueInvalid(fields) : new DataTimeInvalid(fields)
}

/** Everything reading a CSV table can fail with. */
export type CsvTableError = DataFileMissing | DataFileInvalid | DataColumnMissing | DataValueInvalid | DataTimeInvalid

/** A record (one line's fields) longer than this is refused: no CSV of numbers needs it. */
export const MAX_RECORD_CHARS = 1_000_000

const CsvFailure = Schema.Struct({
  message: Schema.String,
  code: Schema.optional(Schema.String),
  lines: Schema.optional(Schema.Number)
})

const fieldCountMismatch = (spec: CsvTableSpec, line: number, fields: number, expected: number) => {
  const delimiter = spec.delimiter === "\t" ? "\\t" : spec.delimiter
  return new DataFileInvalid({
    file: spec.file,
    field: spec.field,
    line,
    message: `Row ${line} of ${spec.file} has ${fields} field${fields === 1 ? "" : "s"} separated by "${delimiter}", but the header has ${expected}.`,
    fix: `Make every row of ${spec.file} have the same number of fields as the header${
      spec.delimiterField === undefined ? "" : ` (set ${spec.delimiterField} if the separator is another character)`
    }.`
  })
}

const parseFailure = (spec: CsvTableSpec, error: unknown): DataFileInvalid => {
  const failure = Schema.decodeUnknownOption(CsvFailure)(error)
  const detail = failure._tag === "Some" ? failure.value : { message: String(error), code: undefined, lines: undefined }
  const at = detail.lines === undefined ? "" : ` at line ${detail.lines}`
  const delimiter = spec.delimiter === "\t" ? "\\t" : spec.delimiter
  if (detail.code === "CSV_MAX_RECORD_SIZE") {
    return new DataFileInvalid({
      file: spec.file,
      field: spec.field,
      line: detail.lines,
      message: `${spec.file} has a row longer than ${MAX_RECORD_CHARS} characters${at}; it is not a CSV of numbers.`,
      fix: `Check that ${spec.field} names the right file, with one row per line separated by "${delimiter}".`
    })
  }
  return new DataFileInvalid({
    file: spec.file,
    field: spec.field,
    line: detail.lines,
    message: `${spec.file} is not valid CSV${at}: ${detail.message.replace(/\.$/, "")}.`,
    fix: `Make every row of ${spec.file} have the same number of fields as the header, separated by "${delimiter}"${
      spec.delimiterField === undefined ? "" : ` (set ${spec.delimiterField} if it is another character)`
    }.`
  })
}

/** The requests without repeats (a column named twice with the same kind is read once). */
const unique = (requests: ReadonlyArray<ColumnRequest>): ReadonlyArray<ColumnRequest> =>
  requests.filter((r, i) => requests.findIndex((o) => o.column === r.column && o.kind === r.kind) === i)

/** Refuses a missing path with a did-you-mean, and anything that is not a regular file, before opening it. */
const requireRegularFile = Effect.fn("data.requireRegularFile")(function*(spec: CsvTableSpec) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const found = yield* inspectInputPath(spec.file)
  switch (found._tag) {
    case "File":
      return
    case "Missing": {
      const directory = path.dirname(spec.file)
      const siblings = yield* fs.readDirectory(directory).pipe(Effect.orElseSucceed((): Array<string> => []))
      return yield* new DataFileMissing({
        file: spec.file,
        field: spec.field,
        message: `The data file ${spec.file} (${spec.field}) does not exist.${didYouMeanSuffix(path.basename(spec.file), siblings)}`,
        fix: `Check ${spec.field}; a relative path is resolved from the config file's directory (${directory}).`
      })
    }
    case "NotAFile":
      return yield* new DataFileInvalid({
        file: spec.file,
        field: spec.field,
        message: `The data file ${spec.file} (${spec.field}) is ${found.what}, not a regular file.`,
        fix: `Point ${spec.field} at a CSV file on disk.`
      })
    case "Unreadable":
      return yield* new DataFileInvalid({
        file: spec.file,
        field: spec.field,
        message: `The data file ${spec.file} cannot be read: ${found.reason}.`,
        fix: `Check that ${spec.file} is a readable UTF-8 text file.`
      })
  }
})

/**
 * Streams a CSV file (header row first) into typed columns: only the requested columns are kept,
 * every cell is checked as it passes, and the first bad cell stops the read with an error naming
 * the file, the row and the column. The read is interruptible: the streams are destroyed at once.
 */
export const readCsvTable: (spec: CsvTableSpec) => Effect.Effect<Table, CsvTableError, FileSystem.FileSystem | Path.Path> =
  Effect.fn("data.readCsvTable")(function*(spec: CsvTableSpec) {
    yield* requireRegularFile(spec)
    return yield* Effect.async<Table, CsvTableError>((resume) => {
      let header: ReadonlyArray<string> | undefined
      let readers: ReadonlyArray<{ readonly index: number; readonly builder: ColumnBuilder }> = []
      let seriesIndex = -1
      const lines = growableInt32()
      // records are counted rather than asked for their line: csv-parse's per-record info costs
      // more than the parse itself (a quoted field spanning lines would shift the numbers after it)
      let line = 0
      let failure: CsvTableError | undefined
      const input = createReadStream(spec.file)
      const parser = parse({
        delimiter: spec.delimiter,
        bom: true,
        trim: true,
        relax_column_count: true,
        max_record_size: MAX_RECORD_CHARS
      })
      const stop = (error: CsvTableError) => {
        failure = error
        parser.destroy(error)
      }

      const onRecord = (record: ReadonlyArray<string>): CsvTableError | undefined => {
        line++
        if (record.length === 1 && record[0] === "") return undefined // an empty line
        if (header === undefined) {
          header = record
          const problem = checkHeader(spec, record, spec.columns)
          if (problem !== undefined) return problem
          readers = unique(spec.columns).map((request) => ({
            index: record.indexOf(request.column),
            builder: columnBuilder(spec.file, request)
          }))
          seriesIndex = spec.seriesColumn === undefined ? -1 : record.indexOf(spec.seriesColumn)
          return undefined
        }
        if (record.length !== header.length) return fieldCountMismatch(spec, line, record.length, header.length)
        for (const { builder, index } of readers) {
          const problem = builder.push(record[index]!, line)
          if (problem !== undefined) {
            const id = seriesIndex < 0 || index === seriesIndex ? "" : record[seriesIndex]!
            return id === "" ? problem : inSeries(problem, id)
          }
        }
        lines.push(line)
        return undefined
      }
      parser.on("data", (record: ReadonlyArray<string>) => {
        if (failure !== undefined) return
        const problem = onRecord(record)
        if (problem !== undefined) stop(problem)
      })
      pipeline(input, parser, (error) => {
        if (error !== null && error !== undefined) {
          resume(Effect.fail(failure ?? parseFailure(spec, error)))
          return
        }
        if (header === undefined) {
          resume(Effect.fail(
            new DataFileInvalid({
              file: spec.file,
              field: spec.field,
              message: `${spec.file} is empty; it needs a header row and one row per time step.`,
              fix: `Write the column names on the first line of ${spec.file}, then the data.`
            })
          ))
          return
        }
        const columns = new Map<string, TableColumn>()
        for (const { builder } of readers) {
          const column = builder.finish()
          columns.set(column.name, column)
        }
        resume(Effect.succeed({ file: spec.file, header, rows: lines.length, lines: lines.finish(), columns }))
      })
      return Effect.sync(() => {
        input.destroy()
        parser.destroy()
      })
    })
  })
