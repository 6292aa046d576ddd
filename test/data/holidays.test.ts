import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { holidayColumns, largestHolidays, largestPanelHolidays } from "../../src/data/calendar.js"
import { holidayDates, type HolidayDates } from "../../src/data/holidays.js"
import { dailyTimes } from "../../src/data/time.js"

const iso = (year: number, month: number, day: number) =>
  new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10)

/** The n-th (1-based) given weekday (0 = Sunday) of a month; n = -1 for the last one. */
const nthWeekday = (year: number, month: number, weekday: number, n: number): string => {
  if (n === -1) {
    const last = new Date(Date.UTC(year, month, 0))
    const back = (last.getUTCDay() - weekday + 7) % 7
    return iso(year, month, last.getUTCDate() - back)
  }
  const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay()
  return iso(year, month, 1 + ((weekday - first + 7) % 7) + 7 * (n - 1))
}

/** The observed day of a fixed-date federal holiday (5 U.S.C. 6103): Saturday → Friday, Sunday → Monday. */
const observed = (date: string): string => {
  const d = new Date(`${date}T00:00:00Z`)
  const shift = d.getUTCDay() === 6 ? -1 : d.getUTCDay() === 0 ? 1 : 0
  return new Date(d.getTime() + shift * 86_400_000).toISOString().slice(0, 10)
}

/** US federal holidays of a year by the statute's rules, written independently of date-holidays. */
const federalHolidays = (year: number): Array<{ name: string; date: string; observed: string }> => {
  const fixed = (name: string, month: number, day: number) => {
    const date = iso(year, month, day)
    return { name, date, observed: observed(date) }
  }
  const floating = (name: string, date: string) => ({ name, date, observed: date })
  return [
    fixed("New Year's Day", 1, 1),
    floating("Martin Luther King Jr. Day", nthWeekday(year, 1, 1, 3)),
    floating("Washington's Birthday", nthWeekday(year, 2, 1, 3)),
    floating("Memorial Day", nthWeekday(year, 5, 1, -1)),
    fixed("Independence Day", 7, 4),
    floating("Labor Day", nthWeekday(year, 9, 1, 1)),
    floating("Columbus Day", nthWeekday(year, 10, 1, 2)),
    fixed("Veterans Day", 11, 11),
    floating("Thanksgiving Day", nthWeekday(year, 11, 4, 4)),
    fixed("Christmas Day", 12, 25)
  ]
}

const us = (types: ReadonlyArray<"public" | "bank">): HolidayDates =>
  Either.getOrThrow(holidayDates({ country: "US", state: null, types }, 1993, 2004))

describe("holidays", () => {
  it("finds every US federal holiday of 1994-2003 and its observed day", () => {
    // date-holidays files Veterans Day's observed day under "bank"; the others are "public"
    const dates = us(["public", "bank"])
    const expected = Array.from({ length: 10 }, (_, i) => federalHolidays(1994 + i)).flat()
    expect(expected).toHaveLength(100)
    const missing = expected.flatMap(({ name, date, observed }) =>
      [date, observed].filter((day) => !(dates.get(day) ?? []).includes(name)).map((day) => `${name} ${day}`)
    )
    expect(missing).toEqual([])
    // the observed days that differ are real: e.g. Independence Day 1998 (a Saturday) on Friday the 3rd
    expect(dates.get("1998-07-03")).toEqual(["Independence Day"])
    expect(dates.get("1999-12-31")).toEqual(["New Year's Day"])
    expect(expected.filter((h) => h.observed !== h.date).length).toBeGreaterThan(5)
  })

  it("public alone has all of them except Veterans Day's observed days", () => {
    const dates = us(["public"])
    const notFound = Array.from({ length: 10 }, (_, i) => federalHolidays(1994 + i)).flat()
      .flatMap(({ name, date, observed }) => [date, observed].filter((day) => !(dates.get(day) ?? []).includes(name)))
    expect(notFound).toEqual(["1995-11-10", "2000-11-10", "2001-11-12"])
  })

  it("gives the same dates in any process time zone", () => {
    const before = process.env.TZ
    try {
      const byZone = ["Pacific/Kiritimati", "America/Los_Angeles", "UTC"].map((zone) => {
        process.env.TZ = zone
        return JSON.stringify([...us(["public"]).entries()].sort())
      })
      expect(new Set(byZone).size).toBe(1)
    } finally {
      if (before === undefined) delete process.env.TZ
      else process.env.TZ = before
    }
  })

  it("names an unknown country or state, with a suggestion", () => {
    const country = holidayDates({ country: "UX", state: null, types: ["public"] }, 2000, 2000)
    if (Either.isRight(country)) return expect.fail("UX accepted")
    expect(country.left.field).toBe("data.calendar.holidays.country")
    expect(country.left.message).toContain(`unknown holiday country "UX"`)
    const state = holidayDates({ country: "US", state: "ZZ", types: ["public"] }, 2000, 2000)
    if (Either.isRight(state)) return expect.fail("ZZ accepted")
    expect(state.left.field).toBe("data.calendar.holidays.state")
    expect(state.left.fix).toContain("CA")
  })

  it("encodes today, days to the next / since the last, and which holiday around Christmas 2003", () => {
    const dates = us(["public"])
    const times = dailyTimes("2003-12-22", 12) // Dec 22 … Jan 2
    const columns = holidayColumns(times, dates, ["Christmas Day", "New Year's Day"], 14, 1)
    const byName = new Map(columns.map((c) => [c.name, Array.from(c.values)]))
    expect([...byName.keys()]).toEqual([
      "holiday",
      "days_to_holiday",
      "days_since_holiday",
      "holiday_christmas_day",
      "holiday_new_year_s_day",
      "christmas_day_1d_ago",
      "new_year_s_day_1d_ago",
      "christmas_day_in_1d",
      "new_year_s_day_in_1d"
    ])
    //                          22  23  24  25  26  27  28  29  30  31   1   2
    expect(byName.get("holiday")).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0])
    expect(byName.get("days_to_holiday")!.map((v) => v * 14)).toEqual([3, 2, 1, 0, 6, 5, 4, 3, 2, 1, 0, 14].map((d) =>
      expect.closeTo(d, 9)
    ))
    // Thanksgiving 2003 was Nov 27: 25 days before Dec 22, clipped to 14
    expect(byName.get("days_since_holiday")!.map((v) => Math.round(v * 14))).toEqual([14, 14, 14, 0, 1, 2, 3, 4, 5, 6, 0, 1])
    expect(byName.get("christmas_day_in_1d")).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    expect(byName.get("christmas_day_1d_ago")).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    expect(byName.get("new_year_s_day_in_1d")).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0])
  })

  it("ranks holidays by their effect on the train rows only", () => {
    const dates = us(["public"])
    const times = dailyTimes("2000-01-01", 731)
    const target = new Float64Array(times.length).fill(100)
    const row = (day: string) => (Date.parse(`${day}T00:00:00Z`) - times[0]!) / 86_400_000
    target[row("2000-07-04")] = 40 // Independence Day: -60
    target[row("2000-12-25")] = 60 // Christmas: -40
    target[row("2000-11-23")] = 70 // Thanksgiving: -30, but New Year 2001 a week after Christmas sees -15
    target[row("2001-09-03")] = 0 // Labor Day 2001: outside the train rows
    const ranked = largestHolidays(times, target, 500, dates, 3)
    expect(ranked).toEqual(["Independence Day", "Christmas Day", "Thanksgiving Day"])
  })

  it("pools holiday effects over series, each in units of its own scale", () => {
    const dates = us(["public"])
    const times = dailyTimes("2000-01-01", 400)
    const row = (day: string) => (Date.parse(`${day}T00:00:00Z`) - times[0]!) / 86_400_000
    const small = new Float64Array(times.length).fill(100)
    small[row("2000-12-25")] = 60 // Christmas: -40 in a series of scale 1
    const large = new Float64Array(times.length).fill(100_000)
    large[row("2000-07-04")] = 70_000 // Independence Day: -30,000 in a series of scale 1,000
    const series = [
      { times, target: small, trainRows: 400, scale: 1 },
      { times, target: large, trainRows: 400, scale: 1000 }
    ]
    // scaled: Christmas (40 + 0) / 2 = 20 beats Independence Day (0 + 30) / 2 = 15; raw it would lose
    expect(largestPanelHolidays(series, dates, 2)).toEqual(["Christmas Day", "Independence Day"])
    expect(largestPanelHolidays(series.map((s) => ({ ...s, scale: 1 })), dates, 2)).toEqual(["Independence Day", "Christmas Day"])
  })
})
