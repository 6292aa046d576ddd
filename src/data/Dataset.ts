import { Effect, Schema } from "effect"
import { CalendarConfig, ScalerKind } from "./DataConfig.js"
import { DatasetCorrupt } from "./errors.js"
import { InputLayout } from "./layout.js"
import { makeSplit, type Split as ViewSplit, type StaticInputs, type WindowInputs } from "./views.js"

const Count = Schema.Int.pipe(Schema.nonNegative())
const Positive = Schema.Int.pipe(Schema.greaterThanOrEqualTo(1))
const PerSplit = Schema.Struct({ train: Count, val: Count, test: Count })

/**
 * Per input feature: scaled = (raw - center) / scale; calendar features and `series=<id>`
 * one-hots have center 0, scale 1; a static column has the fit over the series (its values in
 * the series entries are already scaled with it).
 */
export const ScalerParams = Schema.Struct({
  kind: ScalerKind,
  center: Schema.Array(Schema.Number),
  scale: Schema.Array(Schema.Number)
})
/** Fitted scaler parameters. */
export type ScalerParams = typeof ScalerParams.Type

/** One series of the dataset: its id, its rows per split and, with `data.scaler_scope: series`, its own scaler. */
export const SeriesEntry = Schema.Struct({
  id: Schema.String,
  /** Rows of this series per split (chronological, contiguous within the series). */
  rows: PerSplit,
  /** Windows of this series per split. */
  counts: PerSplit,
  /** Time of the series' first and last row (as in `series.time`). */
  first: Schema.String,
  last: Schema.String,
  /** This series' static inputs (scaled), one per name in the manifest's `statics`; they end every input row. */
  static: Schema.optional(Schema.Array(Schema.Number)),
  /** This series' scaler (per input feature); absent when the dataset's one scaler applies to every series. */
  scaler: Schema.optional(Schema.Struct({ center: Schema.Array(Schema.Number), scale: Schema.Array(Schema.Number) }))
})
/** One series' entry in the manifest. */
export type SeriesEntry = typeof SeriesEntry.Type

/** The small JSON half of a dataset: what the windows mean and how they were made. */
export const DatasetManifest = Schema.Struct({
  /** Human description of the source. */
  source: Schema.String,
  /** Input features per time step, in the order of `layout`: past features, then known-future ones per step. */
  features: Schema.Array(Schema.String),
  /** How an input row is built from past and known-future features (see InputLayout). */
  layout: InputLayout,
  /** Name of the target column. */
  target: Schema.String,
  /** The CSV feature columns among `features` (for reading `--input` files). */
  featureColumns: Schema.Array(Schema.String),
  /** The CSV columns known in advance among the known-future features. */
  futureColumns: Schema.Array(Schema.String),
  /** The calendar features among the known-future ones (from the config). */
  calendar: CalendarConfig,
  /** The holidays with a one-hot column, in order (chosen on the train rows). */
  holidays: Schema.Array(Schema.String),
  lookback: Positive,
  horizon: Positive,
  stride: Positive,
  scaler: ScalerParams,
  /** Windows per split. */
  counts: PerSplit,
  /** Series rows per split (chronological, contiguous). */
  rows: PerSplit,
  /** The series, in the order of `inputs.offsets` (one entry for a single-series source). */
  series: Schema.Array(SeriesEntry),
  /** Static per-series inputs at the end of every input row (after the layout's features), e.g. `series=s0001` one-hots and static columns. */
  statics: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  /** How the source laid out its series, and the id column of a long CSV. */
  seriesFormat: Schema.Literal("single", "long", "wide"),
  seriesColumn: Schema.optional(Schema.String),
  /** sha256 (hex) of the series times and raw values (target and feature columns). */
  fingerprint: Schema.String,
  timeColumn: Schema.optional(Schema.String),
  timeKind: Schema.Literal("date", "datetime", "number", "none"),
  /** What PrepareData noticed but did not refuse (e.g. a constant feature), in words. */
  warnings: Schema.optional(Schema.Array(Schema.String))
})
/** The dataset manifest. */
export type DatasetManifest = typeof DatasetManifest.Type

/** Windows of one split (views into the dataset's inputs). */
export type Split = ViewSplit

/** The output of PrepareData: manifest, the raw series (for baselines and plots) and the windows. */
export interface Dataset {
  readonly manifest: DatasetManifest
  readonly series: {
    /** Series ids, in order (the manifest's `series[s].id`). */
    readonly ids: ReadonlyArray<string>
    /** First row of each series in `time` and `target`, plus the total row count (the same array as `inputs.offsets`). */
    readonly offsets: Int32Array
    /** ISO date or datetime per row ("" when the source has no time; the number for numeric times), the series one after another. */
    readonly time: ReadonlyArray<string>
    /** The target in original units, the series one after another. */
    readonly target: Float64Array
  }
  /** The scaled inputs every window is a view into. */
  readonly inputs: WindowInputs
  readonly splits: { readonly train: Split; readonly val: Split; readonly test: Split }
}

/** One binary file of an encoded dataset. */
export interface Blob {
  readonly name: string
  readonly data: Uint8Array
}

const splitNames = ["train", "val", "test"] as const
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

type NumericArray = Float32Array | Float64Array | Int32Array

const toBytes = (array: NumericArray): Uint8Array => {
  // a view, not a copy: blobs are only written out, and a copy would double the dataset's memory
  if (littleEndian) return new Uint8Array(array.buffer, array.byteOffset, array.byteLength)
  const bytes = new Uint8Array(array.byteLength)
  const view = new DataView(bytes.buffer)
  array.forEach((value, i) => {
    if (array instanceof Float64Array) view.setFloat64(i * 8, value, true)
    else if (array instanceof Float32Array) view.setFloat32(i * 4, value, true)
    else view.setInt32(i * 4, value, true)
  })
  return bytes
}

const fromBytes = <A extends NumericArray>(
  bytes: Uint8Array,
  make: (buffer: ArrayBuffer) => A,
  read: (view: DataView, offset: number) => number
): A => {
  const copy = bytes.slice() // aligned, owned copy
  const array = make(copy.buffer)
  if (!littleEndian) {
    const view = new DataView(copy.buffer)
    const size = array.BYTES_PER_ELEMENT
    for (let i = 0; i < array.length; i++) array[i] = read(view, i * size)
  }
  return array
}

/**
 * Splits a dataset into a JSON manifest and little-endian binary blobs:
 * `series.time.json`, `series.target.f64`, the inputs `inputs.f32` ([rows, features]) and
 * `inputs.offsets.i32` (first row of each series), and per split `<split>.y.f32`,
 * `<split>.start.i32`, `<split>.series.i32`: the windows themselves are never stored. The static
 * inputs of each series live in its manifest entry (`series[s].static`), not in a blob.
 */
export const encodeDataset = (dataset: Dataset): { manifest: unknown; blobs: Array<Blob> } => ({
  manifest: Schema.encodeSync(DatasetManifest)(dataset.manifest),
  blobs: [
    { name: "series.time.json", data: new TextEncoder().encode(JSON.stringify(dataset.series.time)) },
    { name: "series.target.f64", data: toBytes(dataset.series.target) },
    { name: "inputs.f32", data: toBytes(dataset.inputs.rows) },
    { name: "inputs.offsets.i32", data: toBytes(dataset.inputs.offsets) },
    ...splitNames.flatMap((name) => [
      { name: `${name}.y.f32`, data: toBytes(dataset.splits[name].y) },
      { name: `${name}.start.i32`, data: toBytes(dataset.splits[name].start) },
      { name: `${name}.series.i32`, data: toBytes(dataset.splits[name].series) }
    ])
  ]
})

const corrupt = (file: string, field: string, message: string) =>
  new DatasetCorrupt({
    file,
    field,
    message,
    fix: "Delete the cached PrepareData output (or run with the cache disabled) so the dataset is rebuilt."
  })

const TimeList = Schema.parseJson(Schema.Array(Schema.String))

/** Rebuilds a dataset from `encodeDataset`'s output, checking the manifest and every blob's size. */
export const decodeDataset: (
  manifest: unknown,
  blobs: ReadonlyArray<Blob>
) => Effect.Effect<Dataset, DatasetCorrupt> = Effect.fn("data.decodeDataset")(function*(
  manifestJson: unknown,
  blobs: ReadonlyArray<Blob>
) {
  const manifest = yield* Schema.decodeUnknown(DatasetManifest)(manifestJson).pipe(
    Effect.mapError((error) => corrupt("manifest", "manifest", `The dataset manifest is invalid: ${error.message}`))
  )
  const features = manifest.features.length
  if (manifest.scaler.center.length !== features || manifest.scaler.scale.length !== features) {
    return yield* corrupt(
      "manifest",
      "scaler",
      `The dataset manifest has ${manifest.scaler.center.length} scaler centers and ${manifest.scaler.scale.length} scales for ${features} features.`
    )
  }
  for (const [s, entry] of manifest.series.entries()) {
    if (entry.scaler !== undefined && (entry.scaler.center.length !== features || entry.scaler.scale.length !== features)) {
      return yield* corrupt(
        "manifest",
        `series[${s}].scaler`,
        `Series '${entry.id}' has ${entry.scaler.center.length} scaler centers and ${entry.scaler.scale.length} scales for ${features} features.`
      )
    }
  }
  const rows = manifest.rows.train + manifest.rows.val + manifest.rows.test
  const blob = (name: string, elementBytes: number, elements: number) =>
    Effect.gen(function*() {
      const found = blobs.find((b) => b.name === name)
      if (found === undefined) return yield* corrupt(name, name, `The dataset blob ${name} is missing.`)
      if (found.data.byteLength !== elementBytes * elements) {
        return yield* corrupt(
          name,
          name,
          `The dataset blob ${name} has ${found.data.byteLength} bytes, expected ${elementBytes * elements} (${elements} values).`
        )
      }
      return found.data
    })

  const timeBytes = blobs.find((b) => b.name === "series.time.json")
  if (timeBytes === undefined) return yield* corrupt("series.time.json", "series.time", "The dataset blob series.time.json is missing.")
  const time = yield* Schema.decodeUnknown(TimeList)(new TextDecoder().decode(timeBytes.data)).pipe(
    Effect.mapError((error) => corrupt("series.time.json", "series.time", `series.time.json is invalid: ${error.message}`))
  )
  if (time.length !== rows) {
    return yield* corrupt("series.time.json", "series.time", `series.time.json has ${time.length} times for ${rows} rows.`)
  }
  const target = fromBytes(
    yield* blob("series.target.f64", 8, rows),
    (buffer) => new Float64Array(buffer),
    (view, offset) => view.getFloat64(offset, true)
  )
  const seriesCount = manifest.series.length
  if (seriesCount === 0) return yield* corrupt("manifest", "series", "The dataset manifest lists no series.")
  const offsets = fromBytes(
    yield* blob("inputs.offsets.i32", 4, seriesCount + 1),
    (buffer) => new Int32Array(buffer),
    (view, offset) => view.getInt32(offset, true)
  )
  const inputRows = offsets[seriesCount]!
  if (offsets[0] !== 0 || inputRows !== rows || offsets.some((o, s) => s > 0 && o < offsets[s - 1]!)) {
    return yield* corrupt("inputs.offsets.i32", "inputs.offsets", `inputs.offsets.i32 does not split the ${rows} rows into ${seriesCount} series in order.`)
  }
  // the static inputs end every row but are stored once per series, in the manifest's entries
  const staticWidth = manifest.statics.length
  if (staticWidth > features) {
    return yield* corrupt("manifest", "statics", `The dataset manifest has ${staticWidth} static inputs but only ${features} features.`)
  }
  const table = new Float32Array(seriesCount * staticWidth)
  for (const [s, entry] of manifest.series.entries()) {
    const values = entry.static ?? []
    if (values.length !== staticWidth) {
      return yield* corrupt("manifest", `series[${s}].static`, `Series '${entry.id}' has ${values.length} static inputs, expected ${staticWidth} (one per name in statics).`)
    }
    table.set(values, s * staticWidth)
  }
  const statics: StaticInputs | undefined = staticWidth === 0 ? undefined : { table, width: staticWidth }
  const rowFeatures = features - staticWidth
  const inputs: WindowInputs = {
    rows: fromBytes(
      yield* blob("inputs.f32", 4, inputRows * rowFeatures),
      (buffer) => new Float32Array(buffer),
      (view, offset) => view.getFloat32(offset, true)
    ),
    features: rowFeatures,
    offsets,
    ...(statics === undefined ? {} : { statics })
  }
  const decodeSplit = (name: (typeof splitNames)[number]) =>
    Effect.gen(function*() {
      const n = manifest.counts[name]
      const y = fromBytes(
        yield* blob(`${name}.y.f32`, 4, n * manifest.horizon),
        (buffer) => new Float32Array(buffer),
        (view, offset) => view.getFloat32(offset, true)
      )
      const start = fromBytes(
        yield* blob(`${name}.start.i32`, 4, n),
        (buffer) => new Int32Array(buffer),
        (view, offset) => view.getInt32(offset, true)
      )
      const series = fromBytes(
        yield* blob(`${name}.series.i32`, 4, n),
        (buffer) => new Int32Array(buffer),
        (view, offset) => view.getInt32(offset, true)
      )
      for (let i = 0; i < n; i++) {
        const s = series[i]!
        const rowsOfSeries = s >= 0 && s < seriesCount ? offsets[s + 1]! - offsets[s]! : -1
        if (start[i]! < manifest.lookback || start[i]! + manifest.horizon > rowsOfSeries) {
          return yield* corrupt(`${name}.start.i32`, name, `Window ${i} of ${name} (series ${s}, start ${start[i]}) lies outside its series.`)
        }
      }
      return makeSplit(inputs, manifest.lookback, y, start, series)
    })
  const dataset: Dataset = {
    manifest,
    series: { ids: manifest.series.map((entry) => entry.id), offsets, time, target },
    inputs,
    splits: { train: yield* decodeSplit("train"), val: yield* decodeSplit("val"), test: yield* decodeSplit("test") }
  }
  return dataset
})

/** The scaler of series `s` (per input feature): its own with `scaler_scope: series`, else the dataset's. */
export const seriesScaler = (
  manifest: DatasetManifest,
  s: number
): { readonly center: ReadonlyArray<number>; readonly scale: ReadonlyArray<number> } =>
  manifest.series[s]?.scaler ?? manifest.scaler

/** The target's scaler of series `s` (feature 0 of its scaler). */
const targetScaler = (manifest: DatasetManifest, s: number): { readonly center: number; readonly scale: number } => {
  const scaler = seriesScaler(manifest, s)
  return { center: scaler.center[0] ?? 0, scale: scaler.scale[0] ?? 1 }
}

/** Scaled target values of series `s` (model outputs or `y`) back in original units. */
export const unscaleTarget = (manifest: DatasetManifest, values: ArrayLike<number>, s = 0): Float64Array => {
  const { center, scale } = targetScaler(manifest, s)
  return Float64Array.from({ length: values.length }, (_, i) => values[i]! * scale + center)
}

/** Original-unit target values of series `s` scaled the way the model sees them. */
export const scaleTarget = (manifest: DatasetManifest, values: ArrayLike<number>, s = 0): Float64Array => {
  const { center, scale } = targetScaler(manifest, s)
  return Float64Array.from({ length: values.length }, (_, i) => (values[i]! - center) / scale)
}

/** [n, horizon] scaled outputs of a split's windows in original units, each with its window's series scaler. */
export const unscaleWindows = (manifest: DatasetManifest, split: Split, values: ArrayLike<number>): Float64Array => {
  const horizon = manifest.horizon
  const out = new Float64Array(split.n * horizon)
  for (let i = 0; i < split.n; i++) {
    const { center, scale } = targetScaler(manifest, split.series[i]!)
    for (let h = 0; h < horizon; h++) out[i * horizon + h] = values[i * horizon + h]! * scale + center
  }
  return out
}

/** Row of `dataset.series` (time, target) of row `row` of series `s`. */
export const seriesRow = (dataset: Dataset, s: number, row: number): number => dataset.series.offsets[s]! + row
