import { Effect, Schema } from "effect"
import { decodeConfigText, type LoadedConfig, type Override, Provenance } from "../config/loadConfig.js"
import { TrainConfig } from "../config/TrainConfig.js"
import type { Stage } from "./Stage.js"

/** The config file as read, with the command line's overrides. */
export interface ConfigSource {
  readonly file: string
  readonly text: string
  readonly overrides: ReadonlyArray<Override>
}

const Stored = Schema.Struct({
  file: Schema.String,
  config: TrainConfig,
  provenance: Schema.Record({ key: Schema.String, value: Provenance })
})

const decoder = new TextDecoder()

/** LoadConfig: decode the YAML and overrides through the TrainConfig schema. */
export const LoadConfig: Stage<ConfigSource, LoadedConfig, Effect.Effect.Error<ReturnType<typeof decodeConfigText>>, never, unknown> = {
  name: "load-config",
  version: 1,
  // later overrides of the same path win, as when the config is decoded
  reads: ({ overrides, text }) => ({ text, overrides: Object.fromEntries(overrides.map((o) => [o.path, o.raw])) }),
  run: ({ file, overrides, text }) => decodeConfigText(file, text, overrides),
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
