import { Schema } from "effect"

/** Written after every data file of a directory: lists each file's size and sha256. */
export const MANIFEST_FILE = "MANIFEST.json"
/** Written last, holding the sha256 of the manifest: a directory without it was never finished. */
export const DONE_FILE = "DONE"

/** Size and content hash of one file in a directory. */
export const ManifestEntry = Schema.Struct({
  size: Schema.NonNegativeInt,
  sha256: Schema.String.pipe(Schema.pattern(/^[0-9a-f]{64}$/))
})
export type ManifestEntry = typeof ManifestEntry.Type

/** Contents of MANIFEST.json. */
export const Manifest = Schema.Struct({
  format: Schema.Literal("lstm-pipeline/manifest@1"),
  createdAt: Schema.String,
  files: Schema.Record({ key: Schema.String, value: ManifestEntry }),
  meta: Schema.optional(Schema.Unknown)
})
export type Manifest = typeof Manifest.Type

/** Names a directory's own bookkeeping uses; data files may not take them. */
export const isReservedName = (name: string): boolean => name === MANIFEST_FILE || name === DONE_FILE

/** A data file name must be a plain, visible file name inside the directory. */
export const isValidFileName = (name: string): boolean =>
  name.length > 0 && !name.startsWith(".") && !/[/\\\0]/.test(name) && !isReservedName(name)
