import { Path } from "@effect/platform"
import { Effect, Schema } from "effect"
import { type Dataset, decodeDataset, encodeDataset } from "../data/Dataset.js"
import { DataFileInvalid } from "../data/errors.js"
import { prepareData } from "../data/prepareData.js"
import { sha256File } from "../fs/hash.js"
import { inspectInputPath } from "../fs/regularFile.js"
import { Progress } from "../progress/Progress.js"
import type { RunConfig, Stage } from "./Stage.js"

const Meta = Schema.Struct({ manifest: Schema.Unknown })

/** Content hash of a CSV source, so that editing the file re-runs PrepareData; null for other sources. */
const csvHash = ({ loaded: { config }, configDir }: RunConfig) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const source = config.data.source
    if (source.kind !== "csv") return null
    const file = path.resolve(configDir, source.path)
    // a FIFO or a device would block the hash forever: PrepareData refuses it with a clear error
    if ((yield* inspectInputPath(file))._tag !== "File") return null
    // a missing file is named by PrepareData itself, with a did-you-mean; any other read error stops here
    const hashed = yield* sha256File(file).pipe(
      Effect.map((h) => h.sha256),
      Effect.catchAll((e) =>
        e._tag === "SystemError" && e.reason === "NotFound"
          ? Effect.succeed(null)
          : Effect.fail(
            new DataFileInvalid({
              file,
              field: "data.source.path",
              message: `The data file ${file} (data.source.path) cannot be read: ${e.message}.`,
              fix: "check that the file is a readable regular file"
            })
          )
      )
    )
    return hashed
  })

/** PrepareData: load the series, split, scale and window it into a Dataset artifact. */
export const PrepareData: Stage<Dataset, {}> = {
  name: "prepare-data",
  version: 7,
  needs: {},
  inRun: false,
  reads: (run) => Effect.map(csvHash(run), (csvSha256) => ({ data: run.loaded.config.data, csv_sha256: csvSha256 })),
  run: (_, { loaded, configDir }) =>
    prepareData(loaded.config.data, configDir).pipe(
      // what the data raised but did not refuse (a constant feature…), said once when it is prepared
      Effect.tap((dataset) =>
        Effect.flatMap(Progress, (progress) =>
          Effect.forEach(dataset.manifest.warnings ?? [], (warning) => progress.note(`warning: ${warning}`), { discard: true }))
      )
    ),
  summarize: (dataset) => ({
    data: { source: dataset.manifest.source, fingerprint: dataset.manifest.fingerprint, windows: dataset.manifest.counts }
  }),
  encode: (dataset) => {
    const { manifest, blobs } = encodeDataset(dataset)
    return { files: blobs, meta: { manifest } }
  },
  decode: (entry) =>
    Effect.gen(function*() {
      const meta = yield* Schema.decodeUnknown(Meta)(entry.meta)
      const blobs = yield* Effect.forEach(entry.names, (name) => Effect.map(entry.files(name), (data) => ({ name, data })))
      return yield* decodeDataset(meta.manifest, blobs)
    })
}
