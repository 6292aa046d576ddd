import { describe, expect, it } from "@effect/vitest"
import { dayOfYear, nextTimes, parseNumber, parseTime } from "../../src/data/time.js"

describe("time", () => {
  it("parses ISO dates, datetimes (UTC unless an offset is given) and numbers", () => {
    expect(parseTime("2003-12-31")).toEqual({ kind: "date", value: Date.UTC(2003, 11, 31) })
    expect(parseTime("2003-12-31T06:30")).toEqual({ kind: "datetime", value: Date.UTC(2003, 11, 31, 6, 30) })
    expect(parseTime("2003-12-31 06:30:15.5Z")).toEqual({
      kind: "datetime",
      value: Date.UTC(2003, 11, 31, 6, 30, 15, 500)
    })
    expect(parseTime("2003-12-31T06:30:00+02:00")).toEqual({ kind: "datetime", value: Date.UTC(2003, 11, 31, 4, 30) })
    expect(parseTime("42.5")).toEqual({ kind: "number", value: 42.5 })
    expect(parseTime("2003-02-29")).toBeUndefined()
    expect(parseTime("31/12/2003")).toBeUndefined()
    expect(parseTime("2003-12-31T25:00")).toBeUndefined()
    expect(parseNumber("")).toBeUndefined()
    expect(parseNumber("0x10")).toBeUndefined()
    expect(parseNumber("-1e3")).toBe(-1000)
  })

  it("steps forward like the series: days, months, hours, numbers", () => {
    const days = Float64Array.of(Date.UTC(2020, 1, 27), Date.UTC(2020, 1, 28))
    expect(nextTimes("date", days, 2)).toEqual(["2020-02-29", "2020-03-01"])
    const months = Float64Array.of(Date.UTC(2020, 0, 15), Date.UTC(2020, 1, 15))
    expect(nextTimes("date", months, 3)).toEqual(["2020-03-15", "2020-04-15", "2020-05-15"])
    const hours = Float64Array.of(Date.UTC(2020, 0, 1, 22), Date.UTC(2020, 0, 1, 23))
    expect(nextTimes("datetime", hours, 1)).toEqual(["2020-01-02T00:00:00.000Z"])
    expect(nextTimes("number", Float64Array.of(0.1, 0.2), 2)).toEqual(["0.3", "0.4"])
    expect(nextTimes("none", Float64Array.of(0, 1), 2)).toEqual(["", ""])
  })

  it("knows leap years", () => {
    expect(dayOfYear(Date.UTC(2000, 11, 31))).toEqual({ day: 365, daysInYear: 366 })
    expect(dayOfYear(Date.UTC(2001, 11, 31))).toEqual({ day: 364, daysInYear: 365 })
  })
})
