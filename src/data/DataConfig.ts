import { Schema } from "effect"

/**
 * An optional YAML field with a default. The description is the property's (and the value's
 * `documentation`), not the value's `description`, which decode errors would print where the
 * rule belongs; with the default it lets the README's config reference come from the Schema alone.
 */
const withDefault = <A, I>(schema: Schema.Schema<A, I>, value: NoInfer<A>, description: string) =>
  Schema.optionalWith(schema.annotations({ documentation: description, default: value }), { default: () => value })
    .annotations({ description, documentation: description })

const described = <A, I>(schema: Schema.Schema<A, I>, description: string): Schema.Schema<A, I> =>
  schema.annotations({ description })

const PositiveInt = Schema.Int.pipe(Schema.greaterThanOrEqualTo(1))
const NonNegative = Schema.Number.pipe(Schema.nonNegative())

const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/
const isRealDate = (text: string): boolean => {
  const match = isoDate.exec(text)
  if (match === null) return false
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}
const IsoDate = Schema.String.pipe(
  Schema.filter((text) => isRealDate(text) || `expected an ISO date like 2000-01-01, got "${text}"`)
)

/** Names of the datasets shipped as npm packages. */
export const DatasetName = Schema.Literal("us-births-1994-2003", "us-births-2000-2014")
/** A shipped dataset name. */
export type DatasetName = typeof DatasetName.Type

/** A dataset shipped with the tool (an npm package with a CSV inside). */
export const DatasetSource = Schema.Struct({
  kind: described(Schema.Literal("dataset"), "A dataset shipped with the tool."),
  name: withDefault(
    Schema.Union(DatasetName, Schema.NonEmptyArray(DatasetName)),
    "us-births-1994-2003",
    "Which dataset: us-births-1994-2003 (CDC/NCHS, 3652 days) or us-births-2000-2014 (SSA, 5479 days); the target is births per day. A list of names is a panel with one series per dataset."
  )
})

/** A CSV file of your own with a header row. */
export const CsvSource = Schema.Struct({
  kind: described(Schema.Literal("csv"), "A CSV file with a header row."),
  path: described(Schema.NonEmptyTrimmedString, "Path of the CSV file, relative to the config file's directory."),
  time_column: Schema.optionalWith(
    described(
      Schema.NonEmptyTrimmedString,
      "Column holding the time of each row: an ISO date/datetime or a number; rows must be in increasing time. Omit when there is none (then calendar features must be off)."
    ),
    { exact: true }
  ),
  target_column: Schema.optionalWith(
    described(Schema.NonEmptyTrimmedString, "Numeric column to forecast (long format: the value of each (series, time) row)."),
    { exact: true }
  ),
  target_columns: withDefault(
    Schema.Array(Schema.NonEmptyTrimmedString),
    [],
    "Wide format: one series per listed numeric column (its name is the series id), all on the same time column; use instead of target_column."
  ),
  series_column: Schema.optionalWith(
    described(
      Schema.NonEmptyTrimmedString,
      "Long format: the column holding each row's series id; rows of a series need not be adjacent but must be in increasing time."
    ),
    { exact: true }
  ),
  static_columns: withDefault(
    Schema.Array(Schema.NonEmptyTrimmedString),
    [],
    "Long format: numeric columns constant within each series (e.g. store size), given to the model as static per-series inputs."
  ),
  feature_columns: withDefault(
    Schema.Array(Schema.NonEmptyTrimmedString),
    [],
    "Extra numeric columns fed to the model as inputs, after the target."
  ),
  future_columns: withDefault(
    Schema.Array(Schema.NonEmptyTrimmedString),
    [],
    "Numeric columns known in advance (e.g. a promotion plan): the model gets their values for each target step."
  ),
  delimiter: withDefault(
    Schema.String.pipe(Schema.length(1)),
    ",",
    "Field delimiter, one character (e.g. \";\" or \"\\t\")."
  )
}).pipe(
  Schema.filter((csv) => {
    if (csv.target_column === undefined && csv.target_columns.length === 0) {
      return { path: ["target_column"], message: "set target_column (one series, or long format with series_column) or target_columns (wide format)" }
    }
    if (csv.target_column !== undefined && csv.target_columns.length > 0) {
      return { path: ["target_columns"], message: "set either target_column or target_columns, not both" }
    }
    if (csv.series_column !== undefined && csv.target_columns.length > 0) {
      return { path: ["series_column"], message: "series_column (long format) needs target_column, not target_columns (wide format)" }
    }
    if (csv.static_columns.length > 0 && csv.series_column === undefined) {
      return { path: ["static_columns"], message: "static_columns need series_column (long format): a single series has nothing to tell apart" }
    }
    return true
  })
)

/**
 * Longest synthetic series: a million daily rows reach the year 4737 and prepare in well under
 * 1.5 GB with the default windows (ten million needed far more than 3 GB and ran past year 9999).
 */
export const SYNTHETIC_MAX_LENGTH = 1_000_000

/** A generated series: trend + weekly-style seasonality + a yearly harmonic + gaussian noise. */
export const SyntheticSource = Schema.Struct({
  kind: described(Schema.Literal("synthetic"), "A generated series, deterministic for its seed."),
  length: withDefault(Schema.Int.pipe(Schema.between(2, SYNTHETIC_MAX_LENGTH)), 2000, `Number of rows (time steps), at most ${SYNTHETIC_MAX_LENGTH}.`),
  period: withDefault(
    Schema.Number.pipe(Schema.greaterThan(0)),
    7,
    "Period of the main seasonal component, in steps."
  ),
  level: withDefault(Schema.Number, 100, "Value of the series at the first step, before seasonality and noise."),
  trend: withDefault(Schema.Number, 0.01, "Change of the level per step."),
  amplitude: withDefault(
    NonNegative,
    10,
    "Amplitude of the main seasonal component; a yearly harmonic of half this amplitude is added."
  ),
  noise: withDefault(NonNegative, 1, "Standard deviation of the gaussian noise."),
  seed: withDefault(Schema.Int, 42, "Seed of the noise generator; the same seed gives the same series."),
  series: withDefault(
    Schema.Int.pipe(Schema.between(1, 100_000)),
    1,
    "Number of series: more than 1 makes a panel whose series differ in level, amplitude, phase and noise (ids s0001, s0002, …)."
  ),
  start: withDefault(IsoDate, "2000-01-01", "Date of the first row (ISO date)."),
  frequency: withDefault(Schema.Literal("daily"), "daily", "Step between rows.")
})

/** Where the series comes from, chosen by `kind`. */
export const DataSource = Schema.Union(DatasetSource, CsvSource, SyntheticSource)
/** A decoded data source. */
export type DataSource = typeof DataSource.Type

/** Tolerance on the sum of the split fractions. */
export const SPLIT_SUM_TOLERANCE = 1e-9

const Fraction = Schema.Number.pipe(Schema.greaterThan(0), Schema.lessThan(1))

/** Chronological train/val/test fractions of the rows. */
export const SplitConfig = Schema.Struct({
  train: withDefault(Fraction, 0.7, "Fraction of the rows (the earliest) used for training and for fitting the scaler."),
  val: withDefault(Fraction, 0.15, "Fraction of the rows after train used for validation (early stopping, model selection)."),
  test: withDefault(Fraction, 0.15, "Fraction of the rows (the latest) held out for the final evaluation.")
}).pipe(
  Schema.filter((split) => {
    const sum = split.train + split.val + split.test
    return Math.abs(sum - 1) <= SPLIT_SUM_TOLERANCE ||
      `data.split fractions must sum to 1, but train ${split.train} + val ${split.val} + test ${split.test} = ${
        Number(sum.toPrecision(12))
      }; adjust them, e.g. train 0.7, val 0.15, test 0.15`
  })
)

/** Holiday types of `date-holidays`. */
export const HolidayType = Schema.Literal("public", "bank", "school", "optional", "observance")

/** Which holidays become known-future features (from `date-holidays`, offline). */
export const HolidaySpec = Schema.Struct({
  country: withDefault(
    Schema.NullOr(Schema.NonEmptyTrimmedString),
    null,
    "Country whose holidays are features (ISO code known to date-holidays, e.g. US); null: no holiday features."
  ),
  state: withDefault(
    Schema.NullOr(Schema.NonEmptyTrimmedString),
    null,
    "State or region code for regional holidays (e.g. CA); null: national holidays only."
  ),
  types: withDefault(
    Schema.Array(HolidayType),
    ["public"],
    "Holiday types to use: public, bank, school, optional, observance."
  ),
  which: withDefault(
    Schema.Int.pipe(Schema.between(0, 32)),
    8,
    "One-hot columns for this many holidays, those with the largest effect on the target in the train rows (0: none)."
  ),
  neighbours: withDefault(
    Schema.Int.pipe(Schema.between(0, 7)),
    1,
    "Also one-hot the chosen holidays this many days before and after each date (\"Christmas is tomorrow\"); 0: the day itself only."
  ),
  clip_days: withDefault(
    Schema.Int.pipe(Schema.between(1, 366)),
    14,
    "Days to the next / since the last holiday are clipped to this many and divided by it."
  )
})
/** A decoded holiday spec. */
export type HolidaySpec = typeof HolidaySpec.Type

/** Known-future calendar features, given for each target step (they need dates). */
export const CalendarConfig = Schema.Struct({
  day_of_week: withDefault(Schema.Boolean, true, "Add sin/cos of the day of the week of each target step (needs dates)."),
  day_of_year: withDefault(Schema.Boolean, true, "Add sin/cos of the day of the year of each target step (needs dates)."),
  month: withDefault(Schema.Boolean, false, "Add sin/cos of the month of each target step (needs dates)."),
  holidays: withDefault(
    HolidaySpec,
    { country: null, state: null, types: ["public"], which: 8, neighbours: 1, clip_days: 14 },
    "Holiday features of each target step: holiday today, days to the next and since the last, which holiday."
  )
})
/** A decoded calendar config. */
export type CalendarConfig = typeof CalendarConfig.Type

/** How inputs and targets are scaled; the scaler is fitted on the train rows only. */
export const ScalerKind = Schema.Literal("standard", "minmax", "none")
/** A scaler kind. */
export type ScalerKind = typeof ScalerKind.Type

/** The `data:` section of the config. */
export const DataConfig = Schema.Struct({
  source: withDefault(
    DataSource,
    { kind: "dataset", name: "us-births-1994-2003" },
    "Where the series comes from: kind dataset (shipped), csv (your file) or synthetic (generated)."
  ),
  lookback: withDefault(PositiveInt, 28, "Window length: how many past steps the model sees."),
  horizon: withDefault(PositiveInt, 1, "How many future steps of the target each window forecasts."),
  stride: withDefault(PositiveInt, 1, "Steps between the starts of consecutive windows."),
  split: withDefault(
    SplitConfig,
    { train: 0.7, val: 0.15, test: 0.15 },
    "Chronological fractions of the rows for train/val/test; they must sum to 1."
  ),
  scaler_scope: withDefault(
    Schema.Literal("series", "global"),
    "series",
    "With many series: fit the scaler on each series' own train rows (series) or on the train rows of all series together (global)."
  ),
  series_id: withDefault(
    Schema.Literal("none", "one_hot"),
    "none",
    "With many series: give the model each series' id as a static one-hot input (one_hot) or not (none)."
  ),
  scaler: withDefault(
    ScalerKind,
    "standard",
    "Scaling of the target and feature columns: standard (mean/std), minmax (to [0, 1]) or none; fitted on the train rows only."
  ),
  calendar: withDefault(
    CalendarConfig,
    {
      day_of_week: true,
      day_of_year: true,
      month: false,
      holidays: { country: null, state: null, types: ["public"], which: 8, neighbours: 1, clip_days: 14 }
    },
    "Known-future calendar features for each target step; they need a date time column."
  )
}).annotations({ identifier: "DataConfig", description: "The series, its windows, splits and scaling." })

/** The decoded `data:` section. */
export type DataConfig = typeof DataConfig.Type
/** The `data:` section as written in YAML (snake_case keys, defaults optional). */
export type DataConfigEncoded = typeof DataConfig.Encoded

/** The `data:` section when the config says nothing about it. */
export const defaultDataConfig: DataConfig = Schema.decodeUnknownSync(DataConfig)({})
