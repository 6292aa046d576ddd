/**
 * A CSV file read column by column into typed arrays: memory grows with the numbers, not with the
 * text. Only the columns asked for are kept; each is looked up by its header name.
 *
 * Numeric and time columns are Float64Array (one value per row). A string column (e.g. the series
 * id of a long-format panel) is stored as codes into a dictionary: `dictionary[codes[row]]` is the
 * cell's text, and the dictionary lists the distinct values in order of first appearance.
 */

/** How a requested column is read. */
export type ColumnKind = "numeric" | "time" | "categorical"

/** A column of plain numbers, in float64; every value is finite and fits a float32 (NaN: an empty cell, where allowed). */
export interface NumericColumn {
  readonly kind: "numeric"
  readonly name: string
  readonly values: Float64Array
}

/** A column of times: epoch milliseconds (UTC) for dates/datetimes, the value itself for numbers. */
export interface TimeColumn {
  readonly kind: "time"
  readonly name: string
  /** What the cells held: all dates, dates with a clock on at least one row, or all numbers. */
  readonly timeKind: "date" | "datetime" | "number"
  readonly values: Float64Array
}

/** A column of non-empty strings as codes into a dictionary of its distinct values (first appearance first). */
export interface CategoricalColumn {
  readonly kind: "categorical"
  readonly name: string
  readonly codes: Int32Array
  readonly dictionary: ReadonlyArray<string>
}

/** One column of a table. */
export type TableColumn = NumericColumn | TimeColumn | CategoricalColumn

/** The columns read from a CSV file, all of length `rows`. */
export interface Table {
  readonly file: string
  /** Every header cell, in file order (also the columns that were not read). */
  readonly header: ReadonlyArray<string>
  /** Data rows (the header and empty lines excluded). */
  readonly rows: number
  /** Line number in the file of each data row (the header is line 1), for error messages. */
  readonly lines: Int32Array
  /** The requested columns by header name. */
  readonly columns: ReadonlyMap<string, TableColumn>
}

/** A column to read, with the config path (or flag) that named it, for error messages. */
export interface ColumnRequest {
  readonly column: string
  readonly field: string
  readonly kind: ColumnKind
  /** Numeric columns: read an empty cell as NaN instead of refusing it (the caller decides what a gap means). */
  readonly allowEmpty?: boolean
}
