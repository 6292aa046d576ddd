import { Schema } from "effect"

/**
 * Every data error says where (`file`: the data file, or what stands in for it; `field`: the
 * config path or CLI flag that chose it), what went wrong (`message`, one sentence) and what to
 * do about it (`fix`). The CLI prints `message` then `fix`.
 */
const located = {
  file: Schema.String,
  field: Schema.String,
  message: Schema.String,
  fix: Schema.String
}

/** The data file named by the config (or `--input`) does not exist. */
export class DataFileMissing extends Schema.TaggedError<DataFileMissing>()("DataFileMissing", located) {}

/** The data file exists but cannot be read or is not well-formed CSV. */
export class DataFileInvalid extends Schema.TaggedError<DataFileInvalid>()("DataFileInvalid", {
  ...located,
  line: Schema.optional(Schema.Number)
}) {}

/** A column named by the config is not in the file's header. */
export class DataColumnMissing extends Schema.TaggedError<DataColumnMissing>()("DataColumnMissing", {
  ...located,
  column: Schema.String,
  available: Schema.Array(Schema.String)
}) {}

/** A cell of a numeric column (target or feature) is not a number. */
export class DataValueInvalid extends Schema.TaggedError<DataValueInvalid>()("DataValueInvalid", {
  ...located,
  /** Line number in the file (the header is line 1). */
  row: Schema.Number,
  column: Schema.String,
  text: Schema.String
}) {}

/** A time cell is not an ISO date, datetime or number, or the times are not increasing. */
export class DataTimeInvalid extends Schema.TaggedError<DataTimeInvalid>()("DataTimeInvalid", {
  ...located,
  row: Schema.Number,
  column: Schema.String,
  text: Schema.String
}) {}

/** The series has fewer rows than one window needs (`lookback + horizon`). */
export class DataSeriesTooShort extends Schema.TaggedError<DataSeriesTooShort>()("DataSeriesTooShort", {
  ...located,
  rows: Schema.Number,
  minimum: Schema.Number
}) {}

/** One of train/val/test gets too few rows for a single window. */
export class DataSplitTooSmall extends Schema.TaggedError<DataSplitTooSmall>()("DataSplitTooSmall", {
  ...located,
  split: Schema.Literal("train", "val", "test"),
  rows: Schema.Number,
  minimum: Schema.Number
}) {}

/** The config asks for something this source cannot provide (e.g. calendar features without dates). */
export class DataConfigInvalid extends Schema.TaggedError<DataConfigInvalid>()("DataConfigInvalid", located) {}

/** A stored dataset (manifest + blobs) does not match its Schema or its declared sizes. */
export class DatasetCorrupt extends Schema.TaggedError<DatasetCorrupt>()("DatasetCorrupt", located) {}

/** Everything PrepareData and inference input loading can fail with. */
export type DataError =
  | DataFileMissing
  | DataFileInvalid
  | DataColumnMissing
  | DataValueInvalid
  | DataTimeInvalid
  | DataSeriesTooShort
  | DataSplitTooSmall
  | DataConfigInvalid
