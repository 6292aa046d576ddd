import type { CalendarConfig } from "./DataConfig.js"
import type { HolidayDates } from "./holidays.js"
import { dayOfWeek, dayOfYear, firstAtOrAfter, formatTime } from "./time.js"

const MS_PER_DAY = 86_400_000

/** One known-future feature: its value at each time of a time axis, and whether the scaler applies. */
export interface KnownColumn {
  readonly name: string
  readonly values: Float64Array
  readonly scaled: boolean
}

/** True when the calendar config asks for any feature (they all need dates). */
export const wantsCalendar = (calendar: CalendarConfig): boolean =>
  calendar.day_of_week || calendar.day_of_year || calendar.month || calendar.holidays.country !== null

/** Column-name form of a holiday name: "Martin Luther King Jr. Day" → "martin_luther_king_jr_day". */
export const holidaySlug = (name: string): string =>
  name.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "")

/** Names of the calendar features in the order `calendarColumns` returns them. */
export const calendarFeatureNames = (calendar: CalendarConfig, holidayNames: ReadonlyArray<string>): Array<string> => [
  ...(calendar.day_of_week ? ["day_of_week_sin", "day_of_week_cos"] : []),
  ...(calendar.day_of_year ? ["day_of_year_sin", "day_of_year_cos"] : []),
  ...(calendar.month ? ["month_sin", "month_cos"] : []),
  ...(calendar.holidays.country === null
    ? []
    : ["holiday", "days_to_holiday", "days_since_holiday", ...oneHotNames(holidayNames, calendar.holidays.neighbours)])
]

/** Day offsets of the one-hot holiday columns: 0, then -1, +1, …, -n, +n. */
const neighbourOffsets = (neighbours: number): Array<number> => [
  0,
  ...Array.from({ length: neighbours }, (_, i) => [-(i + 1), i + 1]).flat()
]

/**
 * One-hot column names: `holiday_<slug>` (the date is that holiday), `<slug>_in_<k>d` (it is k
 * days ahead) and `<slug>_<k>d_ago` (it was k days ago).
 */
const oneHotNames = (names: ReadonlyArray<string>, neighbours: number): Array<string> =>
  neighbourOffsets(neighbours).flatMap((offset) =>
    names.map((name) => {
      const slug = holidaySlug(name)
      return offset === 0 ? `holiday_${slug}` : offset > 0 ? `${slug}_in_${offset}d` : `${slug}_${-offset}d_ago`
    })
  )

const dayNumber = (time: number): number => Math.floor(time / MS_PER_DAY)

/**
 * Holiday features of each time (epoch ms; its UTC calendar date is the day): 1 on a holiday
 * (observed days included), the days to the next and since the last holiday clipped to
 * `clip` and divided by it (0 on a holiday), and 0/1 columns per name in `names`: the date is
 * that holiday, then it is 1 day after / before it, …, up to `neighbours` days.
 */
export const holidayColumns = (
  times: Float64Array,
  dates: HolidayDates,
  names: ReadonlyArray<string>,
  clip: number,
  neighbours: number
): Array<KnownColumn> => {
  const days = [...dates.keys()].map((iso) => dayNumber(Date.parse(`${iso}T00:00:00Z`))).sort((a, b) => a - b)
  const namesOn = (day: number) => dates.get(formatTime("date", day * MS_PER_DAY))
  const n = times.length
  const today = new Float64Array(n)
  const toNext = new Float64Array(n)
  const sinceLast = new Float64Array(n)
  const offsets = neighbourOffsets(neighbours)
  const which = offsets.flatMap(() => names.map(() => new Float64Array(n)))
  times.forEach((time, i) => {
    const day = dayNumber(time)
    const next = firstAtOrAfter(days, day)
    const after = next < days.length ? days[next]! - day : clip
    const before = days[next] === day ? 0 : next > 0 ? day - days[next - 1]! : clip
    today[i] = namesOn(day) === undefined ? 0 : 1
    toNext[i] = Math.min(after, clip) / clip
    sinceLast[i] = Math.min(before, clip) / clip
    offsets.forEach((offset, o) => {
      const on = namesOn(day + offset)
      if (on === undefined) return
      names.forEach((name, k) => {
        if (on.includes(name)) which[o * names.length + k]![i] = 1
      })
    })
  })
  const oneHot = oneHotNames(names, neighbours)
  return [
    { name: "holiday", values: today, scaled: false },
    { name: "days_to_holiday", values: toNext, scaled: false },
    { name: "days_since_holiday", values: sinceLast, scaled: false },
    ...oneHot.map((name, c) => ({ name, values: which[c]!, scaled: false }))
  ]
}

const sinCos = (name: string, times: Float64Array, angle: (time: number) => number): Array<KnownColumn> => {
  const sin = new Float64Array(times.length)
  const cos = new Float64Array(times.length)
  times.forEach((time, i) => {
    const a = angle(time)
    sin[i] = Math.sin(a)
    cos[i] = Math.cos(a)
  })
  return [{ name: `${name}_sin`, values: sin, scaled: false }, { name: `${name}_cos`, values: cos, scaled: false }]
}

/**
 * Calendar features of each time (epoch ms, UTC): sin/cos of the day of the week (angle
 * 2π·d/7, d = 0 on Sunday), of the day of the year (2π·d/days-in-year, d = 0 on January 1st)
 * and of the month (2π·m/12, m = 0 in January), then the holiday features.
 */
export const calendarColumns = (
  times: Float64Array,
  calendar: CalendarConfig,
  holidays: { readonly dates: HolidayDates; readonly names: ReadonlyArray<string> } | undefined
): Array<KnownColumn> => [
  ...(calendar.day_of_week ? sinCos("day_of_week", times, (t) => (2 * Math.PI * dayOfWeek(t)) / 7) : []),
  ...(calendar.day_of_year
    ? sinCos("day_of_year", times, (t) => {
      const { day, daysInYear } = dayOfYear(t)
      return (2 * Math.PI * day) / daysInYear
    })
    : []),
  ...(calendar.month ? sinCos("month", times, (t) => (2 * Math.PI * new Date(t).getUTCMonth()) / 12) : []),
  ...(holidays === undefined ? [] : holidayColumns(times, holidays.dates, holidays.names, calendar.holidays.clip_days, calendar.holidays.neighbours)
    )
]

/** One series' train rows as `largestHolidays` reads them: times, target, and the target's scale. */
export interface HolidayEffectSeries {
  readonly times: Float64Array
  readonly target: Float64Array
  readonly trainRows: number
  /** The series' target scale: deviations are divided by it, so every series counts alike. */
  readonly scale: number
}

/**
 * The `count` holidays with the largest effect on the target in the first `trainRows` rows:
 * per occurrence, |y - mean of the rows a week before and after| (one row before and after
 * when the rows are not daily), averaged per holiday; ties are broken by name.
 */
export const largestHolidays = (
  times: Float64Array,
  target: Float64Array,
  trainRows: number,
  dates: HolidayDates,
  count: number
): Array<string> => largestPanelHolidays([{ times, target, trainRows, scale: 1 }], dates, count)

/**
 * `largestHolidays` over many series: the effect of each occurrence in each series' train rows,
 * in units of that series' scale (a series of millions does not outvote one of tens), pooled.
 */
export const largestPanelHolidays = (
  series: ReadonlyArray<HolidayEffectSeries>,
  dates: HolidayDates,
  count: number
): Array<string> => {
  if (count === 0) return []
  const byDay = new Map<number, ReadonlyArray<string>>()
  for (const [iso, names] of dates) byDay.set(dayNumber(Date.parse(`${iso}T00:00:00Z`)), names)
  const effect = new Map<string, { sum: number; n: number }>()
  for (const { scale, target, times, trainRows } of series) {
    const daily = times.length >= 2 && times[1]! - times[0]! === MS_PER_DAY
    const offset = daily ? 7 : 1
    for (let r = offset; r + offset < trainRows; r++) {
      const names = byDay.get(dayNumber(times[r]!))
      if (names === undefined) continue
      const deviation = Math.abs(target[r]! - (target[r - offset]! + target[r + offset]!) / 2) / scale
      for (const name of names) {
        const e = effect.get(name) ?? { sum: 0, n: 0 }
        effect.set(name, { sum: e.sum + deviation, n: e.n + 1 })
      }
    }
  }
  return [...effect.entries()]
    .map(([name, e]) => ({ name, mean: e.sum / e.n }))
    .sort((a, b) => b.mean - a.mean || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, count)
    .map((e) => e.name)
}
