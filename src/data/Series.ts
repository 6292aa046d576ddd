import type { TimeKind } from "./time.js"

/** One named numeric column of a series, in original units. */
export interface Column {
  readonly name: string
  readonly values: Float64Array
}

/** A loaded series in original units, before splitting, scaling and windowing. */
export interface Series {
  /** Human description of where it came from, e.g. "CSV data/sales.csv (target 'units')". */
  readonly description: string
  /** The file it was read from; "synthetic" for generated series. */
  readonly file: string
  /** Name of the time column; undefined when the source has none. */
  readonly timeColumn: string | undefined
  readonly timeKind: TimeKind
  /** Epoch milliseconds (dates), the value (numbers) or the row index (none); strictly increasing. */
  readonly times: Float64Array
  /** `times` formatted: "YYYY-MM-DD", a full ISO datetime, the number, or "" when none. */
  readonly time: ReadonlyArray<string>
  readonly target: Column
  /** Line in the file of each row (CSV sources), for error messages; absent for generated series. */
  readonly lines?: Int32Array
  /** Extra numeric inputs (CSV `feature_columns`), in config order. */
  readonly features: ReadonlyArray<Column>
  /** Numeric inputs known in advance (CSV `future_columns`), in config order. */
  readonly future: ReadonlyArray<Column>
}
