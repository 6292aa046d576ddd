import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { decodeConfigText } from "../../src/config/loadConfig.js"

describe("renamed config keys", () => {
  it.effect("an old data.calendar_features gets one error naming data.calendar", () =>
    Effect.gen(function*() {
      const text = "data:\n  lookback: 14\n  calendar_features: { day_of_week: true, day_of_year: false }\n"
      const error = yield* Effect.flip(decodeConfigText("old.yaml", text, []))
      expect(error._tag).toBe("ConfigError")
      expect(error.field).toBe("data.calendar_features")
      expect(error.message).toBe("old.yaml: data.calendar_features (line 3): this key moved to data.calendar.")
      expect(error.fix).toBe("rename data.calendar_features to data.calendar")
    }))

  it.effect("the new data.calendar decodes with holidays", () =>
    Effect.gen(function*() {
      const text = "data:\n  calendar:\n    month: true\n    holidays: { country: US, state: null, types: [public] }\n"
      const loaded = yield* decodeConfigText("new.yaml", text, [])
      expect(loaded.config.data.calendar.month).toBe(true)
      expect(loaded.config.data.calendar.holidays).toEqual({
        country: "US",
        state: null,
        types: ["public"],
        which: 8,
        neighbours: 1,
        clip_days: 14
      })
    }))
})
