import { describe, expect, it } from "@effect/vitest"
import { didYouMean, didYouMeanSuffix, levenshtein } from "../../src/data/didYouMean.js"

describe("didYouMean", () => {
  it("computes edit distances", () => {
    expect(levenshtein("kitten", "sitting")).toBe(3)
    expect(levenshtein("", "abc")).toBe(3)
    expect(levenshtein("births", "births")).toBe(0)
    expect(levenshtein("flaw", "lawn")).toBe(2)
  })

  it("suggests the closest plausible candidate only", () => {
    expect(didYouMean("birth", ["year", "births", "month"])).toBe("births")
    expect(didYouMean("Temprature", ["date", "temperature"])).toBe("temperature")
    expect(didYouMean("xyz", ["date", "units"])).toBeUndefined()
    expect(didYouMean("promotion", ["date", "promo"])).toBe("promo")
    expect(didYouMean("temp", ["date", "temperature"])).toBe("temperature")
    expect(didYouMean("da", ["date"])).toBeUndefined()
    expect(didYouMeanSuffix("unit", ["units"])).toBe(" Did you mean 'units'?")
    expect(didYouMeanSuffix("zzz", ["units"])).toBe("")
  })
})
