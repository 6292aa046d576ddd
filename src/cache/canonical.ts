/** Canonical JSON: the same value always gives the same text, whatever the key order it was built in. */

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const hasToJSON = (value: object): value is { toJSON: () => unknown } =>
  "toJSON" in value && typeof value.toJSON === "function"

/**
 * Brings a value to plain JSON data: `toJSON` applied, typed arrays as arrays, -0 as 0,
 * non-finite numbers and bigints as tagged objects (`{"$number":"NaN"}`), `undefined` properties
 * dropped as JSON does. Cycles, functions and symbols are bugs in a config slice and throw.
 */
export const toPlain = (value: unknown, seen: ReadonlyArray<object> = []): unknown => {
  if (typeof value === "function" || typeof value === "symbol") {
    throw new TypeError(`canonical JSON: cannot encode a ${typeof value}`)
  }
  if (typeof value === "number") {
    if (Number.isFinite(value)) return Object.is(value, -0) ? 0 : value
    return { $number: String(value) }
  }
  if (typeof value === "bigint") return { $bigint: value.toString() }
  if (value === undefined || value === null) return null
  if (typeof value !== "object") return value
  if (seen.includes(value)) throw new TypeError("canonical JSON: cyclic value")
  const inner = [...seen, value]
  if (hasToJSON(value)) return toPlain(value.toJSON(), inner)
  // a typed array's own enumerable properties are exactly its elements
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return toPlain(Object.values(value), inner)
  if (Array.isArray(value)) return value.map((x: unknown) => toPlain(x, inner))
  if (value instanceof Map) {
    return toPlain(Object.fromEntries(Array.from(value.entries(), ([k, v]) => [String(k), v])), inner)
  }
  if (value instanceof Set) return toPlain(Array.from(value), inner)
  const out: Record<string, unknown> = {}
  for (const [key, entry] of Object.entries(value)) {
    if (entry !== undefined) out[key] = toPlain(entry, inner)
  }
  return out
}

const write = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(write).join(",")}]`
  if (isRecord(value)) {
    // sorted by UTF-16 code units, written by hand: JS objects put integer-like keys first
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${keys.map((k) => `${JSON.stringify(k)}:${write(value[k])}`).join(",")}}`
  }
  return JSON.stringify(value)
}

/** Canonical JSON text of a value (sorted keys, stable numbers, no whitespace). */
export const canonicalJson = (value: unknown): string => write(toPlain(value))

const show = (value: unknown): string => (value === undefined ? "(unset)" : write(value))

/**
 * Differences between two plain values as readable lines, by path:
 * `train.epochs: 10 → 20`, `model.units: [32] → [64,32]`, `data.source: (unset) → "csv"`.
 */
export const diffPaths = (before: unknown, after: unknown, prefix = ""): ReadonlyArray<string> => {
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
    return keys.flatMap((key) => diffPaths(before[key], after[key], prefix === "" ? key : `${prefix}.${key}`))
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, i) => diffPaths(item, after[i], `${prefix}[${i}]`))
  }
  if (show(before) === show(after)) return []
  return [`${prefix === "" ? "(root)" : prefix}: ${show(before)} → ${show(after)}`]
}
