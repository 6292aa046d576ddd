import { DataTimeInvalid, DataValueInvalid } from "../errors.js"
import { parseNumber, parseTime } from "../time.js"
import { growableFloat64, growableInt32 } from "./Growable.js"
import type { ColumnRequest, TableColumn } from "./Table.js"

/** The largest magnitude a float32 holds: the model computes in float32, so raw values must fit. */
export const FLOAT32_MAX = 3.4028234663852886e38

/** Collects one column's cells as they stream by; `push` returns the error for a bad cell. */
export interface ColumnBuilder {
  readonly push: (text: string, line: number) => DataValueInvalid | DataTimeInvalid | undefined
  readonly finish: () => TableColumn
}

const looksMisdecoded = (text: string): boolean => text.includes("\uFFFD")

const numeric = (file: string, request: ColumnRequest): ColumnBuilder => {
  const values = growableFloat64()
  const invalid = (line: number, text: string, problem: string, fix: string) =>
    new DataValueInvalid({
      file,
      field: request.field,
      row: line,
      column: request.column,
      text,
      message: `Row ${line} of ${file} has ${text === "" ? "an empty cell" : `'${text}'`} in column '${request.column}', ${problem}.`,
      fix
    })
  return {
    push: (text, line) => {
      if (text === "" && request.allowEmpty === true) {
        values.push(Number.NaN)
        return undefined
      }
      const value = parseNumber(text)
      if (value === undefined) {
        return looksMisdecoded(text)
          ? invalid(line, text, "which is not valid UTF-8 text (the file has another encoding)", `Re-save ${file} as UTF-8.`)
          : invalid(
            line,
            text,
            "which is not a number",
            `Put a plain number (like 12.5) in row ${line} of column '${request.column}', or remove that row.`
          )
      }
      if (!(Math.abs(value) <= FLOAT32_MAX)) {
        return invalid(
          line,
          text,
          "which is beyond ±3.4e38, the largest magnitude a 32-bit float (the model's number type) holds",
          `Rescale column '${request.column}' (e.g. divide it by a power of ten) or fix row ${line}.`
        )
      }
      values.push(value)
      return undefined
    },
    finish: () => ({ kind: "numeric", name: request.column, values: values.finish() })
  }
}

const time = (file: string, request: ColumnRequest): ColumnBuilder => {
  const values = growableFloat64()
  let family: "calendar" | "number" | undefined
  let hasClock = false
  // a long-format panel sorted by time repeats each time once per series: parse it once
  let lastText: string | undefined
  let lastValue = 0
  return {
    push: (text, line) => {
      if (text === lastText) {
        values.push(lastValue)
        return undefined
      }
      const parsed = parseTime(text)
      const rowFamily = parsed === undefined ? undefined : parsed.kind === "number" ? "number" : "calendar"
      if (parsed === undefined || (family !== undefined && rowFamily !== family)) {
        const expected = family === undefined
          ? "an ISO date, an ISO datetime or a number"
          : family === "number"
          ? "a number like the rows above"
          : "a valid ISO date or datetime like the rows above"
        return new DataTimeInvalid({
          file,
          field: request.field,
          row: line,
          column: request.column,
          text,
          message: `Row ${line} of ${file} has '${text}' in time column '${request.column}', which is not ${expected}.`,
          fix: `Write times as ISO dates (2003-12-31), ISO datetimes (2003-12-31T06:00:00Z) or numbers, the same kind on every row.`
        })
      }
      family = rowFamily
      hasClock ||= parsed.kind === "datetime"
      values.push(parsed.value)
      lastText = text
      lastValue = parsed.value
      return undefined
    },
    finish: () => ({
      kind: "time",
      name: request.column,
      timeKind: family === "number" ? "number" : hasClock ? "datetime" : "date",
      values: values.finish()
    })
  }
}

const categorical = (file: string, request: ColumnRequest): ColumnBuilder => {
  const codes = growableInt32()
  const dictionary: Array<string> = []
  const codeOf = new Map<string, number>()
  return {
    push: (text, line) => {
      if (text === "") {
        return new DataValueInvalid({
          file,
          field: request.field,
          row: line,
          column: request.column,
          text,
          message: `Row ${line} of ${file} has an empty cell in column '${request.column}' (${request.field}), so it belongs to no series.`,
          fix: `Write the series id in column '${request.column}' on every row of ${file}, or remove row ${line}.`
        })
      }
      let code = codeOf.get(text)
      if (code === undefined) {
        code = dictionary.length
        dictionary.push(text)
        codeOf.set(text, code)
      }
      codes.push(code)
      return undefined
    },
    finish: () => ({ kind: "categorical", name: request.column, codes: codes.finish(), dictionary })
  }
}

/** The builder for a requested column of `file`. */
export const columnBuilder = (file: string, request: ColumnRequest): ColumnBuilder => {
  switch (request.kind) {
    case "numeric":
      return numeric(file, request)
    case "time":
      return time(file, request)
    case "categorical":
      return categorical(file, request)
  }
}
