import type { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import type { DataConfig } from "./DataConfig.js"
import type { Dataset, DatasetManifest, SeriesEntry } from "./Dataset.js"
import { checkRawValues, checkScaled, checkTargetVaries, constantWarnings, panelConstantWarnings } from "./checks.js"
import { DataConfigInvalid, type DataError, DataSeriesTooShort, DataSplitTooSmall } from "./errors.js"
import { calendarColumns, type KnownColumn, largestPanelHolidays, wantsCalendar } from "./calendar.js"
import { holidaysAround, type InputColumn, pastColumns } from "./features.js"
import { layoutFeatureNames, layoutRowsInto, layoutScalers, makeLayout } from "./layout.js"
import { type ColumnScaler, fitScaler, fitScalerOver, identityScaler } from "./scaler.js"
import type { Panel, Series } from "./Series.js"
import { loadPanel } from "./sources.js"
import type { StaticInputs, WindowInputs } from "./views.js"
import {
  axisIndex,
  buildWindows,
  minimumRegionRows,
  type Region,
  seriesRegions,
  splitCuts,
  splitNames,
  type SplitName,
  unionAxis,
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

/** sha256 (hex) of a panel: its format, ids and static columns, then each series' `fingerprintSeries`; a single series' is its own. */
export const fingerprintPanel = (panel: Panel): string => {
  if (panel.series.length === 1 && panel.statics.length === 0) return fingerprintSeries(panel.series[0]!)
  const hash = createHash("sha256")
  hash.update(`${panel.format}\n${JSON.stringify(panel.ids)}\n`)
  for (const column of panel.statics) hash.update(`${column.name}\n${JSON.stringify(Array.from(column.values))}\n`)
  for (const series of panel.series) hash.update(`${fingerprintSeries(series)}\n`)
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

/** One series of the panel on its way to the dataset: its rows per split and its windows' starts. */
interface Candidate {
  /** Index in the panel (its id and static values). */
  readonly index: number
  readonly series: Series
  readonly regions: Record<SplitName, Region>
  readonly starts: Record<SplitName, Int32Array>
}

const rowsOf = (regions: Record<SplitName, Region>) => ({
  train: regions.train.end - regions.train.start,
  val: regions.val.end - regions.val.start,
  test: regions.test.end - regions.test.start
})

/** Calendar features need dates: a DataConfigInvalid for the first series without them. */
const checkDates = (cfg: DataConfig, panel: Panel): DataConfigInvalid | undefined => {
  if (!wantsCalendar(cfg.calendar)) return undefined
  const series = panel.series.find((each) => each.timeKind !== "date" && each.timeKind !== "datetime")
  if (series === undefined) return undefined
  return new DataConfigInvalid({
    file: series.file,
    field: "data.calendar",
    message: `Calendar features need dates, but ${series.description} has ${
      series.timeKind === "none" ? "no time column" : `numeric times in '${series.timeColumn}'`
    }.`,
    fix:
      "Set data.calendar.day_of_week, day_of_year and month to false and data.calendar.holidays.country to null, or set data.source.time_column to a column of ISO dates."
  })
}

/** A single series must give every split a window: the errors say which split and how to fix it. */
const checkSingle = (cfg: DataConfig, candidate: Candidate): DataSeriesTooShort | DataSplitTooSmall | undefined => {
  const { lookback, horizon } = cfg
  const { series, regions, starts } = candidate
  const rows = series.target.values.length
  if (rows < lookback + horizon) {
    const maxLookback = rows - horizon
    return new DataSeriesTooShort({
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
  for (const name of splitNames) {
    if (starts[name].length > 0) continue
    const region = regions[name]
    const regionRows = region.end - region.start
    const needed = minimumRegionRows(region, lookback, horizon)
    const suggestion = suggestFractions(cfg.split, name, needed, rows)
    return new DataSplitTooSmall({
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
  return undefined
}

/** Why a panel series cannot be used (no window in some split, or a constant target); undefined when it can. */
const skipReason = (cfg: DataConfig, id: string, candidate: Candidate): string | undefined => {
  const { lookback, horizon } = cfg
  for (const name of splitNames) {
    if (candidate.starts[name].length > 0) continue
    const region = candidate.regions[name]
    return `series '${id}' is skipped: its ${name} split has ${region.end - region.start} rows at the panel's cut dates, too few for one window, which needs ${
      minimumRegionRows(region, lookback, horizon)
    } there (lookback ${lookback}, horizon ${horizon}).`
  }
  const target = candidate.series.target.values
  if (checkTargetVaries(candidate.series) !== undefined) {
    return `series '${id}' is skipped: its target '${candidate.series.target.name}' is ${target[0]} on every one of its ${target.length} rows, there is nothing to forecast.`
  }
  return undefined
}

/** Skip warnings, one per series up to a few, then one line for the rest. */
const SKIP_WARNINGS = 10
const skipWarnings = (reasons: ReadonlyArray<string>): Array<string> =>
  reasons.length <= SKIP_WARNINGS
    ? [...reasons]
    : [...reasons.slice(0, SKIP_WARNINGS), `${reasons.length - SKIP_WARNINGS} more series are skipped for the same reasons (${reasons.length} in all).`]

/** Every panel series was skipped: the error names the longest and the lookback that would fit it. */
const allTooShort = (cfg: DataConfig, panel: Panel, candidates: ReadonlyArray<Candidate>): DataSeriesTooShort => {
  const { lookback, horizon } = cfg
  const longest = candidates.reduce((a, b) => (b.series.target.values.length > a.series.target.values.length ? b : a))
  const rows = rowsOf(longest.regions)
  const fits = candidates.map((c) => rowsOf(c.regions)).filter((r) => r.val >= horizon && r.test >= horizon)
  const maxLookback = Math.max(0, ...fits.map((r) => r.train - horizon))
  return new DataSeriesTooShort({
    file: panel.file,
    field: "data.lookback",
    rows: longest.series.target.values.length,
    minimum: lookback + horizon,
    message: `All ${candidates.length} series of ${panel.description} are too short for a window in every split (lookback ${lookback}, horizon ${horizon}) or have a constant target: the longest, '${
      panel.ids[longest.index]
    }', has ${longest.series.target.values.length} rows (train ${rows.train}, val ${rows.val}, test ${rows.test} at the panel's cut dates).`,
    fix: maxLookback >= 1 && maxLookback < lookback
      ? `Use data.lookback of at most ${maxLookback} (better much less), or longer series.`
      : `Use longer series, a smaller data.horizon, or data.split fractions that give each split more rows.`
  })
}

/** The known-future columns of a series: the panel's calendar columns at its times, then its own future columns. */
const seriesKnown = (
  series: Series,
  axis: Float64Array,
  calendar: ReadonlyArray<KnownColumn>
): Array<InputColumn> => {
  // a series on the whole union axis reads the calendar as it is; others pick their own days
  const index = series.times.length === axis.length ? undefined : axisIndex(series.times, axis)
  return [
    ...calendar.map((column) =>
      index === undefined ? column : { ...column, values: Float64Array.from(index, (u) => column.values[u]!) }
    ),
    ...series.future.map((column) => ({ name: column.name, values: column.values, scaled: true }))
  ]
}

/** One scaler per input column: fitted on each series' train rows together (unscaled columns get the identity). */
const fitPooled = (
  kind: DataConfig["scaler"],
  columns: ReadonlyArray<ReadonlyArray<InputColumn>>,
  trainRows: ReadonlyArray<number>
): Array<ColumnScaler> =>
  (columns[0] ?? []).map((column, f) =>
    column.scaled ? fitScalerOver(kind, columns.map((each, s) => ({ values: each[f]!.values, rows: trainRows[s]! }))) : identityScaler
  )

/**
 * The static inputs of the kept series: `series=<id>` one-hots (with `data.series_id: one_hot`),
 * then the panel's static columns, each scaled with a fit over the kept series.
 */
const staticInputs = (
  cfg: DataConfig,
  panel: Panel,
  kept: ReadonlyArray<Candidate>
): { readonly names: Array<string>; readonly scalers: Array<ColumnScaler>; readonly inputs: StaticInputs } => {
  const ids = kept.map((c) => panel.ids[c.index]!)
  const oneHot = cfg.series_id === "one_hot" ? ids.map((id) => `series=${id}`) : []
  const columns = panel.statics.map((column) => Float64Array.from(kept, (c) => column.values[c.index]!))
  const scalers = columns.map((values) => fitScaler(cfg.scaler, values, values.length))
  const width = oneHot.length + columns.length
  const table = new Float32Array(kept.length * width)
  kept.forEach((_, s) => {
    if (oneHot.length > 0) table[s * width + s] = 1
    columns.forEach((values, j) => {
      table[s * width + oneHot.length + j] = (values[s]! - scalers[j]!.center) / scalers[j]!.scale
    })
  })
  return {
    names: [...oneHot, ...panel.statics.map((column) => column.name)],
    scalers: [...oneHot.map(() => identityScaler), ...scalers],
    inputs: { table, width }
  }
}

/**
 * The PrepareData stage's work: load the series, then `preparePanel`. CSV paths are relative to
 * `configDir`.
 */
export const prepareData = (
  cfg: DataConfig,
  configDir: string
): Effect.Effect<Dataset, DataError, FileSystem.FileSystem | Path.Path> =>
  Effect.flatMap(loadPanel(cfg.source, configDir), (panel) => preparePanel(cfg, panel)).pipe(
    Effect.withSpan("PrepareData.prepareData")
  )

/**
 * A loaded panel into a dataset: split each series by time at the same cut dates, fit the
 * scalers on the train rows, and cut windows of `lookback` input steps predicting the next
 * `horizon` targets, never across series. A panel series too short for a window in some split
 * (or with a constant target) is skipped with a warning; a single series must fit.
 */
export const preparePanel: (cfg: DataConfig, panel: Panel) => Effect.Effect<Dataset, DataError> = Effect.fn(
  "PrepareData.preparePanel"
)(function*(cfg: DataConfig, panel: Panel) {
  const { horizon, lookback, stride } = cfg
  const single = panel.series.length === 1
  const undated = checkDates(cfg, panel)
  if (undated !== undefined) return yield* undated

  // the cut dates are on the union of all series' times, so every series is split at the same dates
  const axis = unionAxis(panel.series.map((series) => series.times))
  const cuts = splitCuts(axis, cfg.split)
  const candidates = panel.series.map((series, index): Candidate => {
    const regions = seriesRegions(series.times, cuts)
    const starts = {
      train: windowStarts(regions.train, lookback, horizon, stride),
      val: windowStarts(regions.val, lookback, horizon, stride),
      test: windowStarts(regions.test, lookback, horizon, stride)
    }
    return { index, series, regions, starts }
  })
  const skipped: Array<string> = []
  if (single) {
    const short = checkSingle(cfg, candidates[0]!)
    if (short !== undefined) return yield* short
    const constant = checkTargetVaries(candidates[0]!.series)
    if (constant !== undefined) return yield* constant
  }
  const kept = single ? candidates : candidates.filter((candidate) => {
    const reason = skipReason(cfg, panel.ids[candidate.index]!, candidate)
    if (reason !== undefined) skipped.push(reason)
    return reason === undefined
  })
  if (kept.length === 0) return yield* allTooShort(cfg, panel, candidates)
  const first = kept[0]!.series
  const trainRows = kept.map((c) => c.regions.train.end)

  const past = kept.map((c) => pastColumns(c.series))
  const ownPast = past.map((columns, s) => columns.map((column) => fitScaler(cfg.scaler, column.values, trainRows[s]!)))
  const dates = yield* holidaysAround(first.file, cfg.calendar, axis)
  const holidays = dates === undefined ? undefined : {
    dates,
    // pooled over series, each in units of its own target scale
    names: largestPanelHolidays(
      kept.map((c, s) => ({ times: c.series.times, target: c.series.target.values, trainRows: trainRows[s]!, scale: ownPast[s]![0]!.scale })),
      dates,
      cfg.calendar.holidays.which
    )
  }
  const calendar = wantsCalendar(cfg.calendar) ? calendarColumns(axis, cfg.calendar, holidays) : []
  // the CSV future columns are the only scaled known-future inputs; the calendar is the same for all
  const future = kept.map((c) => c.series.future.map((column): InputColumn => ({ name: column.name, values: column.values, scaled: true })))
  for (const [s, c] of kept.entries()) {
    const overflow = checkRawValues(c.series, [...past[s]!, ...future[s]!, ...(s === 0 ? calendar : [])])
    if (overflow !== undefined) return yield* overflow
  }
  const calendarScalers = calendar.map(() => identityScaler)
  const ownKnown = future.map((columns, s) => [
    ...calendarScalers,
    ...columns.map((column) => fitScaler(cfg.scaler, column.values, trainRows[s]!))
  ])
  const globalPast = single ? ownPast[0]! : fitPooled(cfg.scaler, past, trainRows)
  const globalKnown = single ? ownKnown[0]! : [...calendarScalers, ...fitPooled(cfg.scaler, future, trainRows)]
  const perSeries = !single && cfg.scaler_scope === "series"
  const layout = makeLayout(past[0]!.map((c) => c.name), [...calendar, ...future[0]!].map((c) => c.name), horizon)
  const layoutNames = layoutFeatureNames(layout)
  const statics = staticInputs(cfg, panel, kept)
  // the scalers series s is scaled with: its own (scope series) or the pooled fit
  const pastOf = (s: number) => (perSeries ? ownPast[s]! : globalPast)
  const knownOf = (s: number) => (perSeries ? ownKnown[s]! : globalKnown)
  const scalerOf = (s: number) => layoutScalers(layout, pastOf(s), knownOf(s))

  const offsets = new Int32Array(kept.length + 1)
  kept.forEach((c, s) => (offsets[s + 1] = offsets[s]! + c.series.target.values.length))
  const total = offsets[kept.length]!
  const width = layoutNames.length
  const matrix = new Float32Array(total * width)
  const layoutColumns = layoutNames.map((name) => ({ name, values: new Float64Array(0), scaled: true }))
  for (const [s, c] of kept.entries()) {
    const pastScalers = pastOf(s)
    const knownScalers = knownOf(s)
    const rows = c.series.target.values.length
    layoutRowsInto(
      layout,
      past[s]!.map((column, f) => ({ values: column.values, scaler: pastScalers[f]! })),
      // the calendar at this series' own days: built per series, so only one copy exists at a time
      seriesKnown(c.series, axis, calendar).map((column, f) => ({ values: column.values, scaler: knownScalers[f]! })),
      0,
      rows,
      matrix,
      offsets[s]!
    )
    const unscalable = checkScaled(c.series, layoutColumns, scalerOf(s), matrix.subarray(offsets[s]! * width, offsets[s + 1]! * width))
    if (unscalable !== undefined) return yield* unscalable
  }
  const inputs: WindowInputs = {
    rows: matrix,
    features: width,
    offsets,
    ...(statics.inputs.width === 0 ? {} : { statics: statics.inputs })
  }
  const splits = {
    train: buildWindows(inputs, kept.map((c) => c.starts.train), lookback, horizon),
    val: buildWindows(inputs, kept.map((c) => c.starts.val), lookback, horizon),
    test: buildWindows(inputs, kept.map((c) => c.starts.test), lookback, horizon)
  }
  const warnings = [
    ...skipWarnings(skipped),
    ...(single
      ? constantWarnings([...past[0]!, ...future[0]!], trainRows[0]!)
      : panelConstantWarnings(kept.map((_, s) => [...past[s]!, ...future[s]!]), trainRows))
  ]

  const withStatics = (scalers: ReadonlyArray<ColumnScaler>) => ({
    center: [...scalers.map((x) => x.center), ...statics.scalers.map((x) => x.center)],
    scale: [...scalers.map((x) => x.scale), ...statics.scalers.map((x) => x.scale)]
  })
  const globalScalers = layoutScalers(layout, globalPast, globalKnown)
  const entries = kept.map((c, s): SeriesEntry => ({
    id: panel.ids[c.index]!,
    rows: rowsOf(c.regions),
    counts: { train: c.starts.train.length, val: c.starts.val.length, test: c.starts.test.length },
    first: c.series.time[0] ?? "",
    last: c.series.time[c.series.time.length - 1] ?? "",
    ...(statics.inputs.width === 0
      ? {}
      : { static: Array.from(statics.inputs.table.subarray(s * statics.inputs.width, (s + 1) * statics.inputs.width)) }),
    ...(perSeries ? { scaler: withStatics(scalerOf(s)) } : {})
  }))
  const sum = (pick: (entry: SeriesEntry) => number) => entries.reduce((acc, entry) => acc + pick(entry), 0)
  const targets = new Set(kept.map((c) => c.series.target.name))
  const manifest: DatasetManifest = {
    source: panel.description,
    features: [...layoutNames, ...statics.names],
    layout,
    target: targets.size === 1 ? first.target.name : "target",
    featureColumns: first.features.map((column) => column.name),
    futureColumns: first.future.map((column) => column.name),
    calendar: cfg.calendar,
    holidays: holidays?.names ?? [],
    lookback,
    horizon,
    stride,
    scaler: { kind: cfg.scaler, ...withStatics(globalScalers) },
    counts: { train: splits.train.n, val: splits.val.n, test: splits.test.n },
    rows: { train: sum((e) => e.rows.train), val: sum((e) => e.rows.val), test: sum((e) => e.rows.test) },
    series: entries,
    statics: statics.names,
    seriesFormat: panel.format,
    ...(panel.seriesColumn === undefined ? {} : { seriesColumn: panel.seriesColumn }),
    fingerprint: fingerprintPanel(panel),
    ...(first.timeColumn === undefined ? {} : { timeColumn: first.timeColumn }),
    timeKind: first.timeKind,
    ...(warnings.length === 0 ? {} : { warnings })
  }
  const dataset: Dataset = {
    manifest,
    series: {
      ids: entries.map((entry) => entry.id),
      offsets,
      time: single ? first.time : concatTimes(kept.map((c) => c.series.time), total),
      target: single ? first.target.values : concatValues(kept.map((c) => c.series.target.values), total)
    },
    inputs,
    splits
  }
  return dataset
})

const concatTimes = (parts: ReadonlyArray<ReadonlyArray<string>>, total: number): Array<string> => {
  const out = new Array<string>(total)
  let at = 0
  for (const part of parts) for (const time of part) out[at++] = time
  return out
}

const concatValues = (parts: ReadonlyArray<Float64Array>, total: number): Float64Array => {
  const out = new Float64Array(total)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}
