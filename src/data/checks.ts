import { DataConfigInvalid, DataValueInvalid } from "./errors.js"
import type { InputColumn } from "./features.js"
import { type ColumnScaler, isConstant, isConstantOver } from "./scaler.js"
import type { Series } from "./Series.js"
import { FLOAT32_MAX } from "./table/builders.js"

const rowName = (series: Series, row: number): string => {
  const line = series.lines?.[row]
  return line === undefined ? `Row ${row + 1} of ${series.description}` : `Row ${line} of ${series.file}`
}

const rowNumber = (series: Series, row: number): number => series.lines?.[row] ?? row + 1

const columnField = (series: Series, name: string): string =>
  series.file === "synthetic"
    ? "data.source"
    : name === series.target.name
    ? "data.source.target_column"
    : "data.source.feature_columns"

/**
 * Every raw value the model sees must be finite and fit a float32 (CSV cells are checked as they
 * are read; this catches generated series and anything else), named by row and column.
 */
export const checkRawValues = (series: Series, columns: ReadonlyArray<InputColumn>): DataValueInvalid | undefined => {
  for (const column of columns) {
    const values = column.values
    for (let i = 0; i < values.length; i++) {
      if (Math.abs(values[i]!) <= FLOAT32_MAX) continue
      const text = String(values[i])
      return new DataValueInvalid({
        file: series.file,
        field: columnField(series, column.name),
        row: rowNumber(series, i),
        column: column.name,
        text,
        message: `${rowName(series, i)} has ${text} in column '${column.name}', beyond ±3.4e38, the largest magnitude a 32-bit float (the model's number type) holds.`,
        fix: series.file === "synthetic"
          ? "Use smaller data.source.level, trend and amplitude."
          : `Rescale column '${column.name}' (e.g. divide it by a power of ten).`
      })
    }
  }
  return undefined
}

/**
 * The fitted statistics must be finite, and every scaled value must fit a float32: a scaler fitted
 * on train rows that barely vary can blow later rows up past it.
 */
export const checkScaled = (
  series: Series,
  columns: ReadonlyArray<InputColumn>,
  scalers: ReadonlyArray<ColumnScaler>,
  matrix: ArrayLike<number>
): DataConfigInvalid | undefined => {
  const features = columns.length
  for (const [f, column] of columns.entries()) {
    const { center, scale } = scalers[f]!
    if (!Number.isFinite(center) || !Number.isFinite(scale) || !(scale > 0)) {
      return new DataConfigInvalid({
        file: series.file,
        field: "data.scaler",
        message: `The scaler fitted on the train rows of column '${column.name}' is not finite (center ${center}, scale ${scale}).`,
        fix: `Check column '${column.name}' for extreme values, or set data.scaler: none.`
      })
    }
    for (let r = 0; r * features + f < matrix.length; r++) {
      const value = matrix[r * features + f]!
      if (Math.abs(value) <= FLOAT32_MAX) continue
      return new DataConfigInvalid({
        file: series.file,
        field: "data.scaler",
        message: `${rowName(series, r)}, column '${column.name}', scales to ${value} (center ${center}, scale ${scale}), beyond what a 32-bit float holds: the train rows vary far less than this row.`,
        fix: "Use data.scaler: standard, or a data.split.train that covers the range of the data."
      })
    }
  }
  return undefined
}

/** A target constant over every row: nothing to forecast, and every skill measure would be 0/0. */
export const checkTargetVaries = (series: Series): DataConfigInvalid | undefined => {
  const values = series.target.values
  if (!isConstant(values, values.length)) return undefined
  return new DataConfigInvalid({
    file: series.file,
    field: columnField(series, series.target.name),
    message: `The target '${series.target.name}' of ${series.description} is ${values[0]} on every one of its ${values.length} rows: there is nothing to forecast.`,
    fix: `Choose a target column that varies over time.`
  })
}

/** Warnings for inputs that are constant on the train rows: they carry no information there. */
export const constantWarnings = (columns: ReadonlyArray<InputColumn>, trainRows: number): Array<string> =>
  columns.filter((column) => column.scaled && isConstant(column.values, trainRows)).map((column) =>
    column === columns[0]
      ? `the target '${column.name}' is constant (${column.values[0]}) on the ${trainRows} train rows; the model can only learn that constant (a larger data.split.train may help).`
      : `feature '${column.name}' is constant (${column.values[0]}) on the ${trainRows} train rows and tells the model nothing; remove it from data.source.feature_columns.`
  )

/**
 * Warnings for a panel's feature columns (after the target) that are one constant over the
 * train rows of every series: `columns[s]` are series s's inputs, `trainRows[s]` its train rows.
 */
export const panelConstantWarnings = (
  columns: ReadonlyArray<ReadonlyArray<InputColumn>>,
  trainRows: ReadonlyArray<number>
): Array<string> => {
  const first = columns[0] ?? []
  const rows = trainRows.reduce((sum, n) => sum + n, 0)
  return first.flatMap((column, f) =>
    f > 0 && column.scaled && isConstantOver(columns.map((each, s) => ({ values: each[f]!.values, rows: trainRows[s]! })))
      ? [`feature '${column.name}' is constant (${column.values[0]}) on the ${rows} train rows of all ${columns.length} series and tells the model nothing; remove it from data.source.feature_columns.`]
      : []
  )
}
