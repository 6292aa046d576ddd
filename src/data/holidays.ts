import Holidays from "date-holidays"
import { Either } from "effect"
import type { HolidaySpec } from "./DataConfig.js"
import { didYouMeanSuffix } from "./didYouMean.js"

/** Holidays by ISO date ("YYYY-MM-DD"): the names of the holidays on that day (observed days included). */
export type HolidayDates = ReadonlyMap<string, ReadonlyArray<string>>

/** Why a holiday spec cannot be used: the config field at fault, a sentence, and a fix. */
export interface HolidaySpecProblem {
  readonly field: string
  readonly message: string
  readonly fix: string
}

const SUBSTITUTE = / \(substitute day\)$/

/**
 * The holiday a `date-holidays` entry belongs to: a substitute ("observed") day is named after
 * the holiday it stands in for, so "Independence Day (substitute day)" counts as Independence Day.
 */
export const holidayName = (name: string): string => name.replace(SUBSTITUTE, "")

const lookup = (country: string, state: string | null): Either.Either<Holidays, HolidaySpecProblem> => {
  const catalogue = new Holidays()
  const countries = catalogue.getCountries("en")
  const code = Object.keys(countries).find((c) => c.toLowerCase() === country.toLowerCase())
  if (code === undefined) {
    return Either.left({
      field: "data.calendar.holidays.country",
      message: `data.calendar.holidays.country: unknown holiday country "${country}".${didYouMeanSuffix(country, Object.keys(countries))}`,
      fix: `Use an ISO 3166-1 country code known to date-holidays, e.g. US, GB, DE or FR (${
        Object.keys(countries).length
      } are available), or null to turn holidays off.`
    })
  }
  if (state === null) return Either.right(new Holidays(code))
  const states = catalogue.getStates(code, "en") ?? {}
  const stateCode = Object.keys(states).find((s) => s.toLowerCase() === state.toLowerCase())
  if (stateCode === undefined) {
    const known = Object.keys(states)
    return Either.left({
      field: "data.calendar.holidays.state",
      message: `data.calendar.holidays.state: unknown state "${state}" for holiday country ${code}.${didYouMeanSuffix(state, known)}`,
      fix: known.length === 0
        ? `${code} has no states in date-holidays: set data.calendar.holidays.state to null.`
        : `Use one of ${known.join(", ")}, or null for the national holidays only.`
    })
  }
  return Either.right(new Holidays(code, stateCode))
}

/** One holiday of a year as date-holidays reports it: local ISO date, name, type. */
interface YearHoliday {
  readonly day: string
  readonly name: string
  readonly type: string
}

// date-holidays computes each year's rules afresh, slowly over long spans: each (country, state,
// year) is computed once per process, whatever the number of series or stages asking
const calendars = new Map<string, Either.Either<Holidays, HolidaySpecProblem>>()
const years = new Map<string, ReadonlyArray<YearHoliday>>()

const cachedLookup = (country: string, state: string | null): Either.Either<Holidays, HolidaySpecProblem> => {
  const key = `${country.toLowerCase()}|${state?.toLowerCase() ?? ""}`
  const found = calendars.get(key)
  if (found !== undefined) return found
  const made = lookup(country, state)
  calendars.set(key, made)
  return made
}

const yearHolidays = (key: string, calendar: Holidays, language: string, year: number): ReadonlyArray<YearHoliday> => {
  const at = `${key}|${language}|${year}`
  const found = years.get(at)
  if (found !== undefined) return found
  const made = calendar.getHolidays(year, language).map((h) => ({ day: h.date.slice(0, 10), name: holidayName(h.name), type: h.type }))
  years.set(at, made)
  return made
}

/**
 * Every holiday of the spec's country (and state) and types in the years `fromYear..toYear`,
 * named in English (the country's variant) where date-holidays has English names,
 * keyed by the local ISO date `date-holidays` reports (its `date` field, which is the calendar
 * day in the country itself: no time-zone conversion, so it never drifts a day). Observed
 * (substitute) days are included under the holiday's name. Each year is computed once per process.
 */
export const holidayDates = (
  spec: Pick<HolidaySpec, "state" | "types"> & { readonly country: string },
  fromYear: number,
  toYear: number
): Either.Either<HolidayDates, HolidaySpecProblem> =>
  Either.map(cachedLookup(spec.country, spec.state), (calendar) => {
    const dates = new Map<string, Array<string>>()
    const types = new Set<string>(spec.types)
    // English names where the data has them, in the country's own variant ("Labor Day" in the US)
    const languages = calendar.getLanguages()
    const language = languages.find((l) => l.startsWith("en")) ?? languages[0] ?? "en"
    const key = `${spec.country.toLowerCase()}|${spec.state?.toLowerCase() ?? ""}`
    for (let year = fromYear; year <= toYear; year++) {
      for (const holiday of yearHolidays(key, calendar, language, year)) {
        if (!types.has(holiday.type)) continue
        const names = dates.get(holiday.day) ?? []
        if (!names.includes(holiday.name)) names.push(holiday.name)
        dates.set(holiday.day, names)
      }
    }
    return dates
  })
