/** What the time column holds: dates, datetimes, plain numbers (e.g. a step index) or nothing. */
export type TimeKind = "date" | "datetime" | "number" | "none"

const MS_PER_DAY = 86_400_000

const isoPattern =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/
const numberPattern = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

/** A parsed time cell: milliseconds since the epoch (UTC) for dates, the value for numbers. */
export interface ParsedTime {
  readonly kind: "date" | "datetime" | "number"
  readonly value: number
}

/** Parses a plain decimal number ("12", "-3.5", "1e3"); rejects "", "0x10", "Infinity", "NaN". */
export const parseNumber = (text: string): number | undefined => {
  const trimmed = text.trim()
  return numberPattern.test(trimmed) ? Number(trimmed) : undefined
}

/**
 * Parses an ISO date ("2003-12-31"), an ISO datetime ("2003-12-31T06:00", "2003-12-31 06:00:00Z",
 * "...+02:00"; without an offset it is read as UTC so results never depend on the machine's
 * time zone) or a number. Impossible dates (2003-02-30) are rejected.
 */
export const parseTime = (text: string): ParsedTime | undefined => {
  const trimmed = text.trim()
  const match = isoPattern.exec(trimmed)
  if (match !== null) {
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
    const dayStart = Date.UTC(year, month - 1, day)
    const check = new Date(dayStart)
    if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
      return undefined
    }
    if (match[4] === undefined) return { kind: "date", value: dayStart }
    const [hours, minutes, seconds] = [Number(match[4]), Number(match[5]), Number(match[6] ?? "0")]
    if (hours > 23 || minutes > 59 || seconds > 59) return undefined
    const millis = match[7] === undefined ? 0 : Math.round(Number(`0.${match[7]}`) * 1000)
    const offset = parseOffsetMinutes(match[8])
    if (offset === undefined) return undefined
    return {
      kind: "datetime",
      value: dayStart + ((hours * 60 + minutes - offset) * 60 + seconds) * 1000 + millis
    }
  }
  const value = parseNumber(trimmed)
  return value === undefined ? undefined : { kind: "number", value }
}

const parseOffsetMinutes = (offset: string | undefined): number | undefined => {
  if (offset === undefined || offset === "Z") return 0
  const digits = offset.slice(1).replace(":", "")
  const hours = Number(digits.slice(0, 2))
  const minutes = Number(digits.slice(2))
  if (hours > 23 || minutes > 59) return undefined
  return (offset[0] === "-" ? -1 : 1) * (hours * 60 + minutes)
}

/**
 * ISO 8601 text of epoch milliseconds; years past 9999 are written in full ("10000-01-01", where
 * toISOString gives "+010000-01-01"), and a time past what Date holds (year 275760) says so.
 */
const isoOf = (value: number, withClock: boolean): string => {
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return `(beyond year 275760: ${value} ms)`
  const iso = date.toISOString()
  const year = date.getUTCFullYear()
  const rest = iso.slice(iso.indexOf("-", 1), withClock ? undefined : iso.indexOf("T"))
  return `${year >= 0 && year <= 9999 ? String(year).padStart(4, "0") : String(year)}${rest}`
}

/** Formats a time value of the given kind as the series stores it ("" when there is none). */
export const formatTime = (kind: TimeKind, value: number): string => {
  switch (kind) {
    case "date":
      return isoOf(value, false)
    case "datetime":
      return isoOf(value, true)
    case "number":
      return String(Number(value.toPrecision(15)))
    case "none":
      return ""
  }
}

/** UTC midnight of a calendar date (month 1-12), or undefined when the date does not exist. */
export const utcDate = (year: number, month: number, day: number): number | undefined => {
  const value = Date.UTC(year, month - 1, day)
  const check = new Date(value)
  return check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === day
    ? value
    : undefined
}

/** `count` consecutive days starting at an ISO date, as epoch milliseconds. */
export const dailyTimes = (start: string, count: number): Float64Array => {
  const first = Date.parse(`${start}T00:00:00Z`)
  const out = new Float64Array(count)
  for (let i = 0; i < count; i++) out[i] = first + i * MS_PER_DAY
  return out
}

/** Day of the week, 0 = Sunday ... 6 = Saturday (UTC). */
export const dayOfWeek = (time: number): number => new Date(time).getUTCDay()

/** Zero-based day of the year and the number of days in that year (UTC). */
export const dayOfYear = (time: number): { readonly day: number; readonly daysInYear: number } => {
  const year = new Date(time).getUTCFullYear()
  const startOfYear = Date.UTC(year, 0, 1)
  const daysInYear = (Date.UTC(year + 1, 0, 1) - startOfYear) / MS_PER_DAY
  return { day: Math.floor((time - startOfYear) / MS_PER_DAY), daysInYear }
}

/**
 * The next `count` times after the last one, stepping like the series does: by calendar months
 * when its last two dates fall on the same day of different months (monthly, quarterly, yearly
 * data), otherwise by the last difference (milliseconds for dates, units for numbers).
 */
export const nextTimes = (kind: TimeKind, values: Float64Array, count: number): Array<string> =>
  kind === "none" || values.length === 0
    ? Array.from({ length: count }, () => "")
    : Array.from(nextTimeValues(kind, values, count), (value) => formatTime(kind, value))

/** The values (epoch ms or numbers) of `nextTimes`; the row indices after the last when there is no time. */
export const nextTimeValues = (kind: TimeKind, values: Float64Array, count: number): Float64Array => {
  const n = values.length
  const out = new Float64Array(count)
  if (n === 0) return out
  const last = values[n - 1]!
  const step = n >= 2 ? last - values[n - 2]! : kind === "number" || kind === "none" ? 1 : MS_PER_DAY
  const months = kind === "number" || kind === "none" || n < 2 ? undefined : monthStep(values[n - 2]!, last)
  for (let i = 0; i < count; i++) {
    if (months === undefined) out[i] = last + (i + 1) * step
    else {
      const date = new Date(last)
      date.setUTCMonth(date.getUTCMonth() + (i + 1) * months)
      out[i] = date.getTime()
    }
  }
  return out
}

const monthStep = (previous: number, last: number): number | undefined => {
  const a = new Date(previous)
  const b = new Date(last)
  const sameClock = a.getUTCHours() === b.getUTCHours() && a.getUTCMinutes() === b.getUTCMinutes() &&
    a.getUTCSeconds() === b.getUTCSeconds() && a.getUTCMilliseconds() === b.getUTCMilliseconds()
  const months = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth()
  return sameClock && a.getUTCDate() === b.getUTCDate() && months >= 1 ? months : undefined
}

/** Index of the first element of a sorted array that is >= value (the length when none is). */
export const firstAtOrAfter = (sorted: ArrayLike<number>, value: number): number => {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < value) lo = mid + 1
    else hi = mid
  }
  return lo
}
