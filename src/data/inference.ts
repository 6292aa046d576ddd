import type { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import { readCsvSeries, type CsvSpec } from "./csv.js"
import { type DatasetManifest, unscaleTarget } from "./Dataset.js"
import { DataConfigInvalid, type DataError, DataSeriesTooShort } from "./errors.js"
import { inputColumns, wantsCalendar } from "./features.js"
import type { Series } from "./Series.js"
import { nextTimes } from "./time.js"

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
    features: manifest.featureColumns.map((column) => ({ column, field: FIELD }))
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
        : Effect.fail(missing))
  )
})

/**
 * Builds the model input from the last `lookback` rows of a series (from the training source or
 * `--input`), scaled with the manifest's scaler, and the times of the next `horizon` steps.
 */
export const buildInferenceWindow: (
  manifest: DatasetManifest,
  series: Series
) => Effect.Effect<InferenceWindow, DataConfigInvalid | DataSeriesTooShort> = Effect.fn("data.buildInferenceWindow")(function*(
  manifest: DatasetManifest,
  series: Series
) {
  const { lookback, horizon } = manifest
  const columns = series.features.map((column) => column.name)
  if (series.target.name !== manifest.target || columns.join("\u0000") !== manifest.featureColumns.join("\u0000")) {
    return yield* new DataConfigInvalid({
      file: series.file,
      field: FIELD,
      message: `The model was trained on target '${manifest.target}'${
        manifest.featureColumns.length === 0 ? "" : ` with features ${manifest.featureColumns.join(", ")}`
      }, but ${series.description} provides target '${series.target.name}'${
        columns.length === 0 ? "" : ` with features ${columns.join(", ")}`
      }.`,
      fix: `Give the input the same columns as the training data: ${[manifest.target, ...manifest.featureColumns].join(", ")}.`
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
  const inputs = inputColumns(series, manifest.calendar)
  const features = inputs.length
  const x = new Float32Array(lookback * features)
  inputs.forEach((column, f) => {
    const center = manifest.scaler.center[f] ?? 0
    const scale = manifest.scaler.scale[f] ?? 1
    for (let j = 0; j < lookback; j++) x[j * features + f] = (column.values[rows - lookback + j]! - center) / scale
  })
  const window: InferenceWindow = {
    x,
    lastTime: series.time[rows - 1] ?? "",
    times: nextTimes(series.timeKind, series.times, horizon)
  }
  return window
})

/** Model outputs (scaled, one per horizon step) in original units. */
export const toOriginalUnits = (manifest: DatasetManifest, outputs: ArrayLike<number>): Float64Array =>
  unscaleTarget(manifest, outputs)

/** Pairs a window's forecast times with the model outputs, in original units. */
export const forecastRows = (
  manifest: DatasetManifest,
  window: InferenceWindow,
  outputs: ArrayLike<number>
): Array<ForecastRow> => {
  const values = toOriginalUnits(manifest, outputs)
  return window.times.map((time, i) => ({ time, value: values[i]! }))
}
