import type { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import type { DataConfig } from "./DataConfig.js"
import type { Dataset, DatasetManifest } from "./Dataset.js"
import { checkRawValues, checkScaled, checkTargetVaries, constantWarnings } from "./checks.js"
import { DataConfigInvalid, type DataError, DataSeriesTooShort, DataSplitTooSmall } from "./errors.js"
import { largestHolidays, wantsCalendar } from "./calendar.js"
import { fitScalers, holidaysAround, knownColumns, pastColumns } from "./features.js"
import { layoutFeatureNames, layoutRows, layoutScalers, makeLayout } from "./layout.js"
import type { Series } from "./Series.js"
import { loadPanel } from "./sources.js"
import type { WindowInputs } from "./views.js"
import {
  buildWindows,
  minimumRegionRows,
  type Region,
  splitNames,
  type SplitName,
  splitRegions,
  windowStarts
} from "./windows.js"

/** sha256 (hex) of the series: times, then the target and each feature column as float64 LE, with names. */
export const fingerprintSeries = (series: Series): string => {
  const hash = createHash("sha256")
  hash.update(`${series.timeKind}\n${JSON.stringify(series.time)}\n`)
  for (const column of [series.target, ...series.features, ...series.future]) {
    hash.update(`${column.name}\n`)
    const bytes = new Uint8Array(column.values.length * 8)
    const view = new DataView(bytes.buffer)
    column.values.forEach((value, i) => view.setFloat64(i * 8, value, true))
    hash.update(bytes)
  }
  return hash.digest("hex")
}

const round2 = (value: number) => Math.round(value * 100) / 100

/**
 * Fractions that give `name` at least `needed` rows (plus one for rounding), taking the rows from
 * the largest other split; undefined when no such fractions exist.
 */
const suggestFractions = (
  split: DataConfig["split"],
  name: SplitName,
  needed: number,
  rows: number
): DataConfig["split"] | undefined => {
  const wanted = Math.ceil(((needed + 1) / rows) * 100) / 100
  const donor = splitNames.filter((other) => other !== name).reduce((a, b) => (split[a] >= split[b] ? a : b))
  const next = { ...split, [name]: wanted, [donor]: round2(split[donor] - (wanted - split[name])) }
  const others = splitNames.filter((other) => other !== donor)
  next[donor] = round2(1 - others.reduce((sum, other) => sum + next[other], 0))
  return splitNames.every((other) => next[other] > 0 && next[other] < 1) && wanted < 1 ? next : undefined
}

/**
 * The PrepareData stage's work: load the series, split it chronologically, fit the scaler on the
 * train rows, and cut windows of `lookback` input steps predicting the next `horizon` targets.
 */
export const prepareData: (
  cfg: DataConfig,
  configDir: string
) => Effect.Effect<Dataset, DataError, FileSystem.FileSystem | Path.Path> = Effect.fn("PrepareData.prepareData")(function*(
  cfg: DataConfig,
  configDir: string
) {
  const panel = yield* loadPanel(cfg.source, configDir)
  const series = panel.series[0]!
  if (panel.series.length !== 1) {
    return yield* new DataConfigInvalid({
      file: panel.file,
      field: "data.source",
      message: `${panel.description} has ${panel.series.length} series; many series are not prepared yet.`,
      fix: "Use a single-series source."
    })
  }
  const rows = series.target.values.length
  const { lookback, horizon, stride } = cfg

  if (wantsCalendar(cfg.calendar) && series.timeKind !== "date" && series.timeKind !== "datetime") {
    return yield* new DataConfigInvalid({
      file: series.file,
      field: "data.calendar",
      message: `Calendar features need dates, but ${series.description} has ${
        series.timeKind === "none" ? "no time column" : `numeric times in '${series.timeColumn}'`
      }.`,
      fix:
        "Set data.calendar.day_of_week, day_of_year and month to false and data.calendar.holidays.country to null, or set data.source.time_column to a column of ISO dates."
    })
  }

  if (rows < lookback + horizon) {
    const maxLookback = rows - horizon
    return yield* new DataSeriesTooShort({
      file: series.file,
      field: "data.lookback",
      rows,
      minimum: lookback + horizon,
      message: `The series from ${series.description} has ${rows} rows, fewer than the ${
        lookback + horizon
      } that one window needs (lookback ${lookback} + horizon ${horizon}).`,
      fix: maxLookback >= 1
        ? `Use data.lookback of at most ${maxLookback} (better much less, so the splits get several windows), or a longer series.`
        : `Use a longer series (at least ${lookback + horizon} rows) or a smaller data.horizon.`
    })
  }

  const regions = splitRegions(rows, cfg.split)
  const starts = {
    train: windowStarts(regions.train, lookback, horizon, stride),
    val: windowStarts(regions.val, lookback, horizon, stride),
    test: windowStarts(regions.test, lookback, horizon, stride)
  }
  for (const name of splitNames) {
    if (starts[name].length === 0) {
      const region: Region = regions[name]
      const regionRows = region.end - region.start
      const needed = minimumRegionRows(region, lookback, horizon)
      const suggestion = suggestFractions(cfg.split, name, needed, rows)
      return yield* new DataSplitTooSmall({
        file: series.file,
        field: `data.split.${name}`,
        split: name,
        rows: regionRows,
        minimum: needed,
        message: `The ${name} split gets ${regionRows} of the ${rows} rows (data.split.${name} = ${
          cfg.split[name]
        }), too few for one window, which needs ${needed} rows there (lookback ${lookback}, horizon ${horizon}).`,
        fix: suggestion === undefined
          ? `Use a smaller data.lookback or data.horizon, or a longer series.`
          : `Give it more rows, e.g. data.split: { train: ${suggestion.train}, val: ${suggestion.val}, test: ${suggestion.test} }, or use a smaller data.lookback.`
      })
    }
  }

  const constant = checkTargetVaries(series)
  if (constant !== undefined) return yield* constant
  const dates = yield* holidaysAround(series.file, cfg.calendar, series.times)
  const holidays = dates === undefined ? undefined : {
    dates,
    names: largestHolidays(series.times, series.target.values, regions.train.end, dates, cfg.calendar.holidays.which)
  }
  const past = pastColumns(series)
  const known = knownColumns(series.times, cfg.calendar, holidays, series.future)
  const overflow = checkRawValues(series, [...past, ...known])
  if (overflow !== undefined) return yield* overflow
  const pastScalers = fitScalers(cfg.scaler, past, regions.train.end)
  const knownScalers = fitScalers(cfg.scaler, known, regions.train.end)
  const layout = makeLayout(past.map((c) => c.name), known.map((c) => c.name), horizon)
  const scalers = layoutScalers(layout, pastScalers, knownScalers)
  const matrix = layoutRows(
    layout,
    past.map((column, f) => ({ values: column.values, scaler: pastScalers[f]! })),
    known.map((column, f) => ({ values: column.values, scaler: knownScalers[f]! })),
    0,
    rows
  )
  const layoutColumns = layoutFeatureNames(layout).map((name) => ({ name, values: new Float64Array(0), scaled: true }))
  const unscalable = checkScaled(series, layoutColumns, scalers, matrix)
  if (unscalable !== undefined) return yield* unscalable
  const warnings = constantWarnings([...past, ...known], regions.train.end)
  const inputs: WindowInputs = { rows: matrix, features: scalers.length, offsets: Int32Array.of(0, rows) }
  const splits = {
    train: buildWindows(inputs, starts.train, lookback, horizon),
    val: buildWindows(inputs, starts.val, lookback, horizon),
    test: buildWindows(inputs, starts.test, lookback, horizon)
  }

  const manifest: DatasetManifest = {
    source: series.description,
    features: layoutFeatureNames(layout),
    layout,
    target: series.target.name,
    featureColumns: series.features.map((column) => column.name),
    futureColumns: series.future.map((column) => column.name),
    calendar: cfg.calendar,
    holidays: holidays?.names ?? [],
    lookback,
    horizon,
    stride,
    scaler: {
      kind: cfg.scaler,
      center: scalers.map((s) => s.center),
      scale: scalers.map((s) => s.scale)
    },
    counts: { train: splits.train.n, val: splits.val.n, test: splits.test.n },
    rows: {
      train: regions.train.end - regions.train.start,
      val: regions.val.end - regions.val.start,
      test: regions.test.end - regions.test.start
    },
    series: [{
      id: series.target.name,
      rows: {
        train: regions.train.end - regions.train.start,
        val: regions.val.end - regions.val.start,
        test: regions.test.end - regions.test.start
      },
      counts: { train: splits.train.n, val: splits.val.n, test: splits.test.n },
      first: series.time[0] ?? "",
      last: series.time[rows - 1] ?? ""
    }],
    statics: [],
    seriesFormat: "single",
    fingerprint: fingerprintSeries(series),
    ...(series.timeColumn === undefined ? {} : { timeColumn: series.timeColumn }),
    timeKind: series.timeKind,
    ...(warnings.length === 0 ? {} : { warnings })
  }
  const dataset: Dataset = {
    manifest,
    series: { ids: [series.target.name], offsets: inputs.offsets, time: series.time, target: series.target.values },
    inputs,
    splits
  }
  return dataset
})
