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

/**
 * The series a source provides, in original units: one for a single-series source, many for a
 * long-format CSV (one per `series_column` id), a wide CSV (one per target column) or a
 * synthetic panel. Every series has the same column names; ids are unique and in file order.
 */
export interface Panel {
  /** Human description of the source as a whole. */
  readonly description: string
  /** The file it was read from; "synthetic" for generated panels. */
  readonly file: string
  /** How the source lays out its series. */
  readonly format: "single" | "long" | "wide"
  /** The id column of a long-format CSV; undefined otherwise. */
  readonly seriesColumn: string | undefined
  /** Series ids in source order (long: the id values; wide: the target column names; single: the target name). */
  readonly ids: ReadonlyArray<string>
  /** The series, in the order of `ids`. */
  readonly series: ReadonlyArray<Series>
  /** Static per-series numeric columns (CSV `static_columns`): `values[s]` is series s's value. */
  readonly statics: ReadonlyArray<Column>
}

/** A one-series panel. */
export const singlePanel = (series: Series): Panel => ({
  description: series.description,
  file: series.file,
  format: "single",
  seriesColumn: undefined,
  ids: [series.target.name],
  series: [series],
  statics: []
})
