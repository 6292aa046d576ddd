import type { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import { readCsvSeries, type CsvSpec } from "./csv.js"
import { type DatasetManifest, seriesScaler, unscaleTarget } from "./Dataset.js"
import { wantsCalendar } from "./calendar.js"
import { DataConfigInvalid, type DataError, DataSeriesTooShort } from "./errors.js"
import { holidaysAround, knownColumns, pastColumns } from "./features.js"
import { layoutFeatureNames, layoutRows } from "./layout.js"
import { readLongCsv, readWideCsv } from "./panelCsv.js"
import { type Column, type Panel, type Series, singlePanel } from "./Series.js"
import { splitFutureColumns, splitPanelFutureColumns } from "./sources.js"
import { formatTime, nextTimes, nextTimeValues } from "./time.js"

/** The model input for one forecast and the times it is for. */
export interface InferenceWindow {
  /** [1, lookback, features] scaled inputs: the last `lookback` rows of the series. */
  readonly x: Float32Array
  /** Time of the last row the window sees. */
  readonly lastTime: string
  /** The `horizon` times being forecast, stepping like the series does. */
  readonly times: ReadonlyArray<string>
}

/** One forecast step in original units. */
export interface ForecastRow {
  readonly time: string
  readonly value: number
}

const FIELD = "--input"

/**
 * Reads a CSV with the columns the model was trained on (`pipeline predict --input`): the time
 * column, the target and the feature columns named in the manifest. For the shipped birth
 * datasets (time column "date") the original year/month/date_of_month layout is accepted too.
 */
export const readInputCsv: (
  manifest: DatasetManifest,
  file: string,
  delimiter?: string
) => Effect.Effect<Series, DataError, FileSystem.FileSystem | Path.Path> = Effect.fn("data.readInputCsv")(function*(
  manifest: DatasetManifest,
  file: string,
  delimiter: string = ","
) {
  const base: CsvSpec = {
    file,
    field: FIELD,
    description: `CSV ${file}`,
    delimiter,
    time: manifest.timeColumn === undefined
      ? { kind: "none" }
      : { kind: "column", ref: { column: manifest.timeColumn, field: FIELD } },
    target: { column: manifest.target, field: FIELD },
    features: [...manifest.featureColumns, ...manifest.futureColumns].map((column) => ({ column, field: FIELD }))
  }
  const ymd: CsvSpec = {
    ...base,
    time: {
      kind: "ymd",
      name: "date",
      year: { column: "year", field: FIELD },
      month: { column: "month", field: FIELD },
      day: { column: "date_of_month", field: FIELD }
    }
  }
  return yield* readCsvSeries(base).pipe(
    Effect.catchTag("DataColumnMissing", (missing) =>
      missing.column === "date" && manifest.timeColumn === "date"
        ? readCsvSeries(ymd).pipe(Effect.catchTag("DataColumnMissing", () => Effect.fail(missing)))
        : Effect.fail(missing)),
    Effect.map((series) => splitFutureColumns(series, manifest.futureColumns.length))
  )
})

/**
 * Reads `pipeline predict --input` for any model: a single-series model's CSV as readInputCsv
 * does; a panel model's in the format it was trained on: long (the id column, time, target,
 * features) or wide (time, one column per series `ids`, default all the model's, and features).
 */
export const readInputPanel: (
  manifest: DatasetManifest,
  file: string,
  ids?: ReadonlyArray<string>,
  delimiter?: string
) => Effect.Effect<Panel, DataError, FileSystem.FileSystem | Path.Path> = Effect.fn("data.readInputPanel")(function*(
  manifest: DatasetManifest,
  file: string,
  ids?: ReadonlyArray<string>,
  delimiter: string = ","
) {
  const common = {
    file,
    field: FIELD,
    description: `CSV ${file}`,
    delimiter,
    time: manifest.timeColumn === undefined
      ? { kind: "none" as const }
      : { kind: "column" as const, ref: { column: manifest.timeColumn, field: FIELD } },
    features: [...manifest.featureColumns, ...manifest.futureColumns].map((column) => ({ column, field: FIELD }))
  }
  const future = (panel: Panel): Panel => splitPanelFutureColumns(panel, manifest.futureColumns.length)
  switch (manifest.seriesFormat) {
    case "single":
      return singlePanel(yield* readInputCsv(manifest, file, delimiter))
    case "long": {
      const column = yield* seriesColumnOf(manifest, file, FIELD)
      return future(
        yield* readLongCsv({ ...common, target: { column: manifest.target, field: FIELD }, series: { column, field: FIELD }, statics: [] })
      )
    }
    case "wide": {
      const targets = (ids ?? manifest.series.map((entry) => entry.id)).map((column) => ({ column, field: FIELD }))
      const panel = future(yield* readWideCsv({ ...common, targets }))
      // the model knows the target by its training name, whatever the columns are called
      return { ...panel, series: panel.series.map((series) => ({ ...series, target: { ...series.target, name: manifest.target } })) }
    }
  }
})

const seriesColumnOf = (manifest: DatasetManifest, file: string, field: string): Effect.Effect<string, DataConfigInvalid> =>
  manifest.seriesColumn === undefined
    ? Effect.fail(
      new DataConfigInvalid({
        file,
        field,
        message: "The model was trained on a long-format panel, but its preprocessing.json does not name the series column.",
        fix: "Re-export the model with `pipeline run` on the same config."
      })
    )
    : Effect.succeed(manifest.seriesColumn)

const FUTURE_FIELD = "--future"

/**
 * How a `--future` file is read: its time column, then the model's future columns, the first as
 * the "target" and the rest as features (`onlyFuture` moves them all to `future`).
 */
const futureCsvSpec = (
  file: string,
  delimiter: string,
  timeColumn: string,
  first: string,
  rest: ReadonlyArray<string>
) => ({
  file,
  field: FUTURE_FIELD,
  description: `CSV ${file}`,
  delimiter,
  time: { kind: "column" as const, ref: { column: timeColumn, field: FUTURE_FIELD } },
  target: { column: first, field: FUTURE_FIELD },
  features: rest.map((column) => ({ column, field: FUTURE_FIELD }))
})

/** A `--future` file's series with every column it read as a known-future column. */
const onlyFuture = (series: Series): Series => ({ ...series, features: [], future: [series.target, ...series.features] })

/**
 * Reads `pipeline predict --future` for any model and gives each series' future columns: a long
 * panel's file has the id column too (one row per series and forecast time); otherwise one file
 * holds the values every series shares.
 */
export const readFuturePanel: (
  manifest: DatasetManifest,
  file: string,
  delimiter?: string
) => Effect.Effect<(id: string) => Series | undefined, DataError, FileSystem.FileSystem | Path.Path> = Effect.fn(
  "data.readFuturePanel"
)(function*(manifest: DatasetManifest, file: string, delimiter: string = ",") {
  const [first, ...rest] = manifest.futureColumns
  if (manifest.seriesFormat !== "long" || first === undefined || manifest.timeColumn === undefined) {
    const shared = yield* readFutureCsv(manifest, file, delimiter)
    return (): Series | undefined => shared
  }
  const column = yield* seriesColumnOf(manifest, file, FUTURE_FIELD)
  const panel = yield* readLongCsv({
    ...futureCsvSpec(file, delimiter, manifest.timeColumn, first, rest),
    series: { column, field: FUTURE_FIELD },
    statics: []
  })
  const byId = new Map(panel.ids.map((id, s) => [id, onlyFuture(panel.series[s]!)]))
  return (id: string): Series | undefined => byId.get(id)
})

/**
 * Reads the values of the model's `future_columns` for the forecast range (`pipeline predict
 * --future`): a CSV with the time column and every future column, one row per forecast time.
 */
export const readFutureCsv: (
  manifest: DatasetManifest,
  file: string,
  delimiter?: string
) => Effect.Effect<Series, DataError, FileSystem.FileSystem | Path.Path> = Effect.fn("data.readFutureCsv")(function*(
  manifest: DatasetManifest,
  file: string,
  delimiter: string = ","
) {
  const [first, ...rest] = manifest.futureColumns
  if (first === undefined || manifest.timeColumn === undefined) {
    return yield* new DataConfigInvalid({
      file,
      field: FUTURE_FIELD,
      message: `The model has no future_columns, so ${FUTURE_FIELD} ${file} is not used.`,
      fix: `Leave out ${FUTURE_FIELD}.`
    })
  }
  return onlyFuture(yield* readCsvSeries(futureCsvSpec(file, delimiter, manifest.timeColumn, first, rest)))
})

/**
 * The future columns on the forecast times, from the `--future` series; a DataConfigInvalid
 * naming the first forecast time it does not cover.
 */
const futureValuesAt = (
  manifest: DatasetManifest,
  series: Series,
  times: Float64Array,
  future: Series | undefined,
  id: string | undefined
): Effect.Effect<Array<Column>, DataConfigInvalid> =>
  Effect.gen(function*() {
    if (manifest.futureColumns.length === 0) return []
    const at = new Map<number, number>()
    future?.times.forEach((time, row) => at.set(time, row))
    const missing = Array.from(times).find((time) => !at.has(time))
    if (future === undefined || missing !== undefined) {
      const when = formatTime(series.timeKind, missing ?? times[0]!)
      return yield* new DataConfigInvalid({
        file: future?.file ?? series.file,
        field: FUTURE_FIELD,
        message: `The model uses future_columns ${manifest.futureColumns.join(", ")}, known in advance, but ${
          future === undefined ? "no --future file gives them" : `${future.description} has no row`
        } for the forecast time ${when}${id === undefined ? "" : ` of series '${id}'`} (the ${manifest.horizon} forecast times must all be there, without gaps).`,
        fix: `Pass --future <file.csv> with columns ${
          manifest.seriesFormat === "long" && manifest.seriesColumn !== undefined ? `${manifest.seriesColumn}, ` : ""
        }${manifest.timeColumn ?? "time"}, ${manifest.futureColumns.join(", ")} and one row for each of ${nextTimesText(series, times)}${
          id === undefined || manifest.seriesFormat !== "long" ? "" : ` for series '${id}'`
        }.`
      })
    }
    return manifest.futureColumns.map((name, j) => ({
      name,
      values: Float64Array.from(times, (time) => future.future[j]!.values[at.get(time)!]!)
    }))
  })

const nextTimesText = (series: Series, times: Float64Array): string =>
  Array.from(times, (time) => formatTime(series.timeKind, time)).join(", ")

/**
 * Builds the model input from the last `lookback` rows of a series (from the training source or
 * `--input`) in the manifest's layout, scaled with its scaler, and the times of the next
 * `horizon` steps. The known-future features of those steps come from the calendar and, for
 * `future_columns`, from `future` (the `--future` file).
 */
export const buildInferenceWindow: (
  manifest: DatasetManifest,
  series: Series,
  future?: Series,
  s?: number
) => Effect.Effect<InferenceWindow, DataConfigInvalid | DataSeriesTooShort> = Effect.fn("data.buildInferenceWindow")(function*(
  manifest: DatasetManifest,
  series: Series,
  future?: Series,
  s: number = 0
) {
  const { lookback, horizon } = manifest
  const entry = manifest.series[s]
  const statics = entry?.static ?? []
  const width = layoutFeatureNames(manifest.layout).length + manifest.statics.length
  if (entry === undefined || statics.length !== manifest.statics.length || width !== manifest.features.length) {
    return yield* new DataConfigInvalid({
      file: series.file,
      field: FIELD,
      message: entry === undefined
        ? `The model has ${manifest.series.length} series; there is no series number ${s + 1}.`
        : statics.length !== manifest.statics.length
        ? `The model's series '${entry.id}' has ${statics.length} static inputs, but the model expects ${manifest.statics.length} (${
          manifest.statics.join(", ")
        }): its preprocessing.json is inconsistent.`
        : `The model's preprocessing.json lists ${manifest.features.length} input features, but its layout and static inputs make ${width}.`,
      fix: "Re-export the model with `pipeline run` on the same config."
    })
  }
  const columns = series.features.map((column) => column.name)
  const futureColumns = series.future.map((column) => column.name)
  if (
    series.target.name !== manifest.target || columns.join("\u0000") !== manifest.featureColumns.join("\u0000") ||
    futureColumns.join("\u0000") !== manifest.futureColumns.join("\u0000")
  ) {
    return yield* new DataConfigInvalid({
      file: series.file,
      field: FIELD,
      message: `The model was trained on target '${manifest.target}'${
        manifest.featureColumns.length === 0 ? "" : ` with features ${manifest.featureColumns.join(", ")}`
      }, but ${series.description} provides target '${series.target.name}'${
        columns.length === 0 ? "" : ` with features ${columns.join(", ")}`
      }.`,
      fix: `Give the input the same columns as the training data: ${
        [manifest.target, ...manifest.featureColumns, ...manifest.futureColumns].join(", ")
      }.`
    })
  }
  if (wantsCalendar(manifest.calendar) && series.timeKind !== "date" && series.timeKind !== "datetime") {
    return yield* new DataConfigInvalid({
      file: series.file,
      field: FIELD,
      message: `The model uses calendar features, but ${series.description} has no dates${
        manifest.timeColumn === undefined ? "" : ` in column '${manifest.timeColumn}'`
      }.`,
      fix: `Add the time column '${manifest.timeColumn ?? "date"}' with ISO dates to the input.`
    })
  }
  const rows = series.target.values.length
  if (rows < lookback) {
    return yield* new DataSeriesTooShort({
      file: series.file,
      field: FIELD,
      rows,
      minimum: lookback,
      message: `${series.description} has ${rows} rows, but the model needs the last ${lookback} (its lookback) to forecast.`,
      fix: `Provide at least ${lookback} rows of history.`
    })
  }
  const { layout } = manifest
  const from = rows - lookback
  const ahead = nextTimeValues(series.timeKind, series.times, layout.steps)
  const axis = new Float64Array(lookback + layout.steps)
  axis.set(series.times.subarray(from))
  axis.set(ahead, lookback)
  const dates = yield* holidaysAround(series.file, manifest.calendar, axis)
  const futureAhead = yield* futureValuesAt(manifest, series, ahead, future, manifest.series.length > 1 ? entry.id : undefined)
  const futureAxis = series.future.map((column, j) => {
    const values = new Float64Array(axis.length)
    values.set(column.values.subarray(from))
    values.set(futureAhead[j]?.values ?? [], lookback)
    return { name: column.name, values }
  })
  const known = knownColumns(
    axis,
    manifest.calendar,
    dates === undefined ? undefined : { dates, names: manifest.holidays },
    futureAxis
  )
  const scaler = seriesScaler(manifest, s)
  const scalerAt = (f: number) => ({ center: scaler.center[f] ?? 0, scale: scaler.scale[f] ?? 1 })
  const past = pastColumns(series).map((column, f) => ({ values: column.values.subarray(from), scaler: scalerAt(f) }))
  const matrix = layoutRows(
    layout,
    past,
    known.map((column, j) => ({ values: column.values, scaler: scalerAt(layout.past.length + j) })),
    0,
    lookback
  )
  const window: InferenceWindow = {
    x: withStatics(matrix, lookback, statics),
    lastTime: series.time[rows - 1] ?? "",
    times: nextTimes(series.timeKind, series.times, horizon)
  }
  return window
})

/** The [rows, layout features] matrix with the series' static inputs appended to every row. */
const withStatics = (matrix: Float32Array, rows: number, statics: ReadonlyArray<number>): Float32Array => {
  if (statics.length === 0) return matrix
  const width = matrix.length / rows
  const features = width + statics.length
  const out = new Float32Array(rows * features)
  for (let r = 0; r < rows; r++) {
    out.set(matrix.subarray(r * width, (r + 1) * width), r * features)
    out.set(statics, r * features + width)
  }
  return out
}

/** Model outputs of series `s` (scaled, one per horizon step) in original units. */
export const toOriginalUnits = (manifest: DatasetManifest, outputs: ArrayLike<number>, s = 0): Float64Array =>
  unscaleTarget(manifest, outputs, s)

/** Pairs a window's forecast times with the model outputs of series `s`, in original units. */
export const forecastRows = (
  manifest: DatasetManifest,
  window: InferenceWindow,
  outputs: ArrayLike<number>,
  s = 0
): Array<ForecastRow> => {
  const values = toOriginalUnits(manifest, outputs, s)
  return window.times.map((time, i) => ({ time, value: values[i]! }))
}
