import { Effect, Schema } from "effect"
import type { TrainConfig } from "../config/TrainConfig.js"
import { type Dataset, decodeDataset, encodeDataset } from "../data/Dataset.js"
import { prepareData } from "../data/prepareData.js"
import type { Stage } from "./Stage.js"

/** What PrepareData reads: the data section, and the content hash of a CSV source (so edits re-run it). */
export interface PrepareDataInput {
  readonly config: TrainConfig
  readonly configDir: string
  /** Content hash of a CSV source file (null for shipped and synthetic data). */
  readonly csvSha256: string | null
}

const Meta = Schema.Struct({ manifest: Schema.Unknown })

/** PrepareData: load the series, split, scale and window it into a Dataset artifact. */
export const PrepareData: Stage<PrepareDataInput, Dataset, Effect.Effect.Error<ReturnType<typeof prepareData>>, Effect.Effect.Context<ReturnType<typeof prepareData>>, unknown> = {
  name: "prepare-data",
  version: 1,
  reads: ({ config, csvSha256 }) => ({ data: config.data, csv_sha256: csvSha256 }),
  run: ({ config, configDir }) => prepareData(config.data, configDir),
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
