import type { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import {
  checkIncreasing,
  type ColumnRef,
  type CsvSpec,
  numericColumn,
  numericRequests,
  readTimes,
  timeRequests,
  type Times
} from "./csv.js"
import { DataConfigInvalid, DataValueInvalid } from "./errors.js"
import type { Column, Panel, Series } from "./Series.js"
import type { ColumnRequest, Table } from "./table/Table.js"
import { type CsvTableError, readCsvTable } from "./table/readCsvTable.js"
import { formatTime } from "./time.js"

/** What to read from a long-format CSV: one row per (series, time), the id in `series`. */
export interface LongCsvSpec extends CsvSpec {
  readonly series: ColumnRef
  /** Numeric columns constant within each series, read once per series into `Panel.statics`. */
  readonly statics: ReadonlyArray<ColumnRef>
}

/** What to read from a wide-format CSV: one row per time, one target column per series. */
export interface WideCsvSpec extends Omit<CsvSpec, "target"> {
  readonly targets: ReadonlyArray<ColumnRef>
}

/** Name of the target of every series of a wide CSV (each series' column name is its id). */
export const WIDE_TARGET = "value"

/** Everything reading a panel CSV can fail with. */
export type PanelCsvError = CsvTableError | DataConfigInvalid

/** `values` at the given rows, in that order. */
const pick = (values: Float64Array, rows: Int32Array): Float64Array => {
  const out = new Float64Array(rows.length)
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]!]!
  return out
}

/**
 * The table rows of each series code, grouped by code and in file order within a code (a
 * counting sort): series s owns `order[offsets[s] .. offsets[s + 1])`.
 */
export const groupRows = (codes: Int32Array, count: number): { readonly order: Int32Array; readonly offsets: Int32Array } => {
  const offsets = new Int32Array(count + 1)
  for (let i = 0; i < codes.length; i++) offsets[codes[i]! + 1]!++
  for (let s = 0; s < count; s++) offsets[s + 1]! += offsets[s]!
  const next = offsets.slice(0, count)
  const order = new Int32Array(codes.length)
  for (let i = 0; i < codes.length; i++) order[next[codes[i]!]!++] = i
  return { order, offsets }
}

/** A static column must hold one value per series: the first row that differs is an error naming both. */
const checkStatic = (
  spec: LongCsvSpec,
  table: Table,
  ref: ColumnRef,
  values: Float64Array,
  id: string,
  rows: Int32Array
): DataValueInvalid | undefined => {
  const first = values[rows[0]!]!
  for (let i = 1; i < rows.length; i++) {
    const value = values[rows[i]!]!
    if (value === first || (Number.isNaN(value) && Number.isNaN(first))) continue
    const [line, firstLine] = [table.lines[rows[i]!]!, table.lines[rows[0]!]!]
    return new DataValueInvalid({
      file: spec.file,
      field: ref.field,
      row: line,
      column: ref.column,
      text: String(value),
      message: `Static column '${ref.column}' (${ref.field}) must be constant within each series, but series '${id}' of ${spec.file} has ${first} on row ${firstLine} and ${value} on row ${line}.`,
      fix: `Give series '${id}' one value of '${ref.column}' on all its rows, or move '${ref.column}' to data.source.feature_columns if it changes over time.`
    })
  }
  return undefined
}

/**
 * Reads a long-format CSV panel: the rows of each id (in first-appearance order; they need not
 * be adjacent) become one series, in file order, with times increasing within it. Columns stay
 * typed arrays; the rows are grouped by a counting sort, so memory grows with the numbers only.
 */
export const readLongCsv: (
  spec: LongCsvSpec
) => Effect.Effect<Panel, PanelCsvError, FileSystem.FileSystem | Path.Path> = Effect.fn("data.readLongCsv")(function*(
  spec: LongCsvSpec
) {
  const timeRefs = spec.time.kind === "column" ? [spec.time.ref] : []
  const clash = [spec.target, ...spec.features, ...spec.statics, ...timeRefs].find((ref) => ref.column === spec.series.column)
  if (clash !== undefined) {
    return yield* new DataConfigInvalid({
      file: spec.file,
      field: clash.field,
      message: `Column '${clash.column}' of ${spec.file} is named as the series id column (${spec.series.field}) and also in ${clash.field}.`,
      fix: `Use the id column only as ${spec.series.field}; remove it from ${clash.field.replace(/\[\d+\]$/, "")}.`
    })
  }
  const table = yield* readCsvTable({
    file: spec.file,
    field: spec.field,
    delimiter: spec.delimiter,
    delimiterField: spec.delimiterField,
    seriesColumn: spec.series.column,
    columns: [
      { ...spec.series, kind: "categorical" },
      ...numericRequests([spec.target, ...spec.features, ...spec.statics]),
      ...timeRequests(spec)
    ]
  })
  const idColumn = table.columns.get(spec.series.column)
  if (idColumn?.kind !== "categorical") return yield* Effect.die(new Error(`column ${spec.series.column} is not categorical`))
  const ids = idColumn.dictionary
  const target = yield* numericColumn(spec, table, spec.target)
  const features: Array<Column> = []
  for (const ref of spec.features) features.push(yield* numericColumn(spec, table, ref))
  const statics: Array<Column> = []
  for (const ref of spec.statics) statics.push(yield* numericColumn(spec, table, ref))
  const times = yield* readTimes(spec, table)
  const { offsets, order } = groupRows(idColumn.codes, ids.length)

  // series of a panel mostly share their times: each distinct time is formatted once, and its
  // text is shared by the rows that have it (no string per row)
  const texts = new Map<number, string>()
  const textOf = (value: number): string => {
    let text = texts.get(value)
    if (text === undefined) {
      text = formatTime(times.kind, value)
      texts.set(value, text)
    }
    return text
  }
  const series: Array<Series> = []
  const staticValues = spec.statics.map(() => new Float64Array(ids.length))
  for (const [s, id] of ids.entries()) {
    const rows = order.subarray(offsets[s]!, offsets[s + 1]!)
    const outOfOrder = checkIncreasing(spec, table, times, { id, column: spec.series.column, rows })
    if (outOfOrder !== undefined) return yield* outOfOrder
    for (const [j, ref] of spec.statics.entries()) {
      const changes = checkStatic(spec, table, ref, statics[j]!.values, id, rows)
      if (changes !== undefined) return yield* changes
      staticValues[j]![s] = statics[j]!.values[rows[0]!]!
    }
    // without a time column a series' times are its own row numbers, so every series starts at 0
    const own = times.kind === "none" ? Float64Array.from(rows, (_, i) => i) : pick(times.values, rows)
    series.push({
      description: `series '${id}' of ${spec.description}`,
      file: spec.file,
      timeColumn: times.column,
      timeKind: times.kind,
      times: own,
      time: Array.from(own, textOf),
      target: { name: spec.target.column, values: pick(target.values, rows) },
      lines: Int32Array.from(rows, (row) => table.lines[row]!),
      features: features.map((column) => ({ name: column.name, values: pick(column.values, rows) })),
      future: []
    })
  }
  const panel: Panel = {
    description: spec.description,
    file: spec.file,
    format: "long",
    seriesColumn: spec.series.column,
    ids,
    series,
    statics: spec.statics.map((ref, j) => ({ name: ref.column, values: staticValues[j]! }))
  }
  return panel
})

/**
 * The rows [from, to) of a wide target column from its first value to its last: empty cells
 * before and after are where the series has not started or has ended; one between is a gap.
 */
const valuedSpan = (
  spec: WideCsvSpec,
  table: Table,
  ref: ColumnRef,
  values: Float64Array
): Effect.Effect<readonly [number, number], DataValueInvalid> => {
  let from = 0
  while (from < values.length && Number.isNaN(values[from]!)) from++
  let to = values.length
  while (to > from && Number.isNaN(values[to - 1]!)) to--
  const invalid = (row: number, message: string, fix: string) =>
    Effect.fail(new DataValueInvalid({ file: spec.file, field: ref.field, row, column: ref.column, text: "", message, fix }))
  if (from === to) {
    return invalid(
      1,
      `Column '${ref.column}' of ${spec.file} (${ref.field}) is empty on every row: series '${ref.column}' has no values.`,
      `Fill column '${ref.column}' or remove it from ${ref.field.replace(/\[\d+\]$/, "")}.`
    )
  }
  for (let row = from; row < to; row++) {
    if (!Number.isNaN(values[row]!)) continue
    const [line, first, last] = [table.lines[row]!, table.lines[from]!, table.lines[to - 1]!]
    return invalid(
      line,
      `Row ${line} of ${spec.file} has an empty cell in column '${ref.column}' (series '${ref.column}'), between its first value (row ${first}) and its last (row ${last}): a wide series may start late and end early, but not have gaps.`,
      `Fill row ${line} of column '${ref.column}' (e.g. with an interpolated value).`
    )
  }
  return Effect.succeed([from, to] as const)
}

/**
 * Reads a wide-format CSV panel: one series per target column (its name is the id), all on the
 * shared time column and sharing the feature columns' arrays. A series spans its column's first
 * to last value (views, not copies).
 */
export const readWideCsv: (
  spec: WideCsvSpec
) => Effect.Effect<Panel, PanelCsvError, FileSystem.FileSystem | Path.Path> = Effect.fn("data.readWideCsv")(function*(
  spec: WideCsvSpec
) {
  const repeated = spec.targets.find((ref, i) => spec.targets.findIndex((other) => other.column === ref.column) !== i)
  if (repeated !== undefined) {
    return yield* new DataConfigInvalid({
      file: spec.file,
      field: repeated.field,
      message: `Column '${repeated.column}' is listed twice in data.source.target_columns; each target column is one series, named by its column.`,
      fix: `List each column of ${spec.file} once in data.source.target_columns.`
    })
  }
  const table = yield* readCsvTable({
    file: spec.file,
    field: spec.field,
    delimiter: spec.delimiter,
    delimiterField: spec.delimiterField,
    columns: [
      // a wide series may start late and end early: its column is empty before and after
      ...spec.targets.map((ref): ColumnRequest => ({ ...ref, kind: "numeric", allowEmpty: true })),
      ...numericRequests(spec.features),
      ...timeRequests(spec)
    ]
  })
  const columnSpec: CsvSpec = { ...spec, target: spec.targets[0]! }
  const targets: Array<Column> = []
  for (const ref of spec.targets) targets.push(yield* numericColumn(columnSpec, table, ref))
  const features: Array<Column> = []
  for (const ref of spec.features) features.push(yield* numericColumn(columnSpec, table, ref))
  const times: Times = yield* readTimes(columnSpec, table)
  const outOfOrder = checkIncreasing(columnSpec, table, times)
  if (outOfOrder !== undefined) return yield* outOfOrder
  const time = Array.from(times.values, (value) => formatTime(times.kind, value))
  const series: Array<Series> = []
  for (const [j, column] of targets.entries()) {
    const span = yield* valuedSpan(spec, table, spec.targets[j]!, column.values)
    const [from, to] = span
    series.push({
      description: `series '${column.name}' of ${spec.description}`,
      file: spec.file,
      timeColumn: times.column,
      timeKind: times.kind,
      times: times.values.subarray(from, to),
      time: from === 0 && to === time.length ? time : time.slice(from, to),
      target: { name: WIDE_TARGET, values: column.values.subarray(from, to) },
      lines: table.lines.subarray(from, to),
      features: features.map((feature) => ({ name: feature.name, values: feature.values.subarray(from, to) })),
      future: []
    })
  }
  const panel: Panel = {
    description: spec.description,
    file: spec.file,
    format: "wide",
    seriesColumn: undefined,
    ids: targets.map((column) => column.name),
    series,
    statics: []
  }
  return panel
})
