import { Effect, Schema } from "effect"
import { decodeConfigText, type LoadedConfig, Provenance } from "../config/loadConfig.js"
import { TrainConfig } from "../config/TrainConfig.js"
import type { Stage } from "./Stage.js"

const Stored = Schema.Struct({
  file: Schema.String,
  config: TrainConfig,
  provenance: Schema.Record({ key: Schema.String, value: Provenance })
})

const decoder = new TextDecoder()

/** LoadConfig: decode the YAML and overrides through the TrainConfig schema, recorded as a stage. */
export const LoadConfig: Stage<LoadedConfig, {}> = {
  name: "load-config",
  version: 1,
  needs: {},
  inRun: false,
  // the decoded config and where each value came from, so a stale entry names the paths that changed
  reads: ({ loaded }) => Effect.succeed({ file: loaded.file, config: Schema.encodeSync(TrainConfig)(loaded.config), provenance: loaded.provenance }),
  run: (_, { source }) => decodeConfigText(source.file, source.text, source.overrides),
  encode: (loaded) => ({
    files: [{ name: "config.json", data: JSON.stringify(Schema.encodeSync(Stored)(loaded)) }],
    meta: {}
  }),
  decode: (entry) =>
    Effect.gen(function*() {
      const stored = yield* Schema.decodeUnknown(Schema.parseJson(Stored))(decoder.decode(yield* entry.files("config.json")))
      return { file: stored.file, config: stored.config, provenance: stored.provenance }
    })
}
