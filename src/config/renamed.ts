import { ConfigError } from "./ConfigError.js"

/** A config key that moved: its old dotted path, the new one, and how to rewrite it. */
interface RenamedKey {
  readonly from: string
  readonly to: string
  readonly fix: string
}

/** Keys older configs may still use. */
export const renamedKeys: ReadonlyArray<RenamedKey> = [
  {
    from: "data.calendar_features",
    to: "data.calendar",
    fix:
      "rename data.calendar_features to data.calendar (day_of_week and day_of_year keep their meaning and now describe each target step; month and holidays: { country: US } are new)"
  }
]

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const has = (root: unknown, path: ReadonlyArray<string>): boolean => {
  let node: unknown = root
  for (const key of path) {
    if (!isRecord(node) || !(key in node)) return false
    node = node[key]
  }
  return true
}

/** A ConfigError for the first renamed key the raw config still uses, naming the new key; undefined when none. */
export const renamedKeyError = (
  file: string,
  raw: unknown,
  origin: (path: ReadonlyArray<string>) => string
): ConfigError | undefined => {
  const found = renamedKeys.find((key) => has(raw, key.from.split(".")))
  if (found === undefined) return undefined
  return new ConfigError({
    file,
    field: found.from,
    message: `${file}: ${found.from}${origin(found.from.split("."))}: this key was renamed to ${found.to}.`,
    fix: found.fix
  })
}
