import { FileSystem } from "@effect/platform"
import { Effect, Either, Option, ParseResult, Schema } from "effect"
import * as YAML from "yaml"
import { didYouMeanSuffix } from "../data/didYouMean.js"
import { inspectInputPath } from "../fs/regularFile.js"
import { ConfigError } from "./ConfigError.js"
import { type ConfigLeaf, leavesOf } from "./schemaTree.js"
import { TrainConfig } from "./TrainConfig.js"

/** One value set from the command line: a named flag or `--set path=value`. */
export interface Override {
  readonly path: string
  readonly raw: string
  /** Where it came from, e.g. `--epochs` or `--set`. */
  readonly source: string
}

/** Where a resolved value came from. */
export const Provenance = Schema.Union(Schema.Literal("default", "file"), Schema.TemplateLiteral("flag ", Schema.String))
export type Provenance = typeof Provenance.Type

/** A decoded config with its origin. */
export interface LoadedConfig {
  readonly file: string
  readonly config: TrainConfig
  /** Per leaf path: default, file, or the flag that set it. */
  readonly provenance: Readonly<Record<string, Provenance>>
}

/** Every leaf of the TrainConfig schema, computed once. */
export const configLeaves: ReadonlyArray<ConfigLeaf> = leavesOf(TrainConfig.ast)
const leafByPath = new Map(configLeaves.map((l) => [l.path, l]))

type MutableObject = { [k: string]: unknown }

const isObject = (u: unknown): u is MutableObject => typeof u === "object" && u !== null && !Array.isArray(u)

const getPath = (root: unknown, path: ReadonlyArray<string>): unknown =>
  path.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), root)

const setPath = (root: MutableObject, path: ReadonlyArray<string>, value: unknown): void => {
  let node = root
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    if (isObject(next)) node = next
    else {
      const created: MutableObject = {}
      node[key] = created
      node = created
    }
  }
  node[path[path.length - 1]!] = value
}

const suggestion = didYouMeanSuffix

/** Keys that moved: an old config names the new key instead of "unknown key". */
const movedKeys: Readonly<Record<string, string>> = {
  "train.engine": "runtime.engine",
  "data.calendar_features": "data.calendar"
}

/** Turn a command-line string into the value the schema expects at that path. */
const typedValue = (leaf: ConfigLeaf, raw: string): unknown => {
  const trimmed = raw.trim()
  if (leaf.type.nullable && (trimmed === "null" || trimmed === "~")) return null
  switch (leaf.type.kind) {
    case "string":
      return raw
    case "array":
      if (trimmed.startsWith("[")) return parseYamlScalar(trimmed)
      return trimmed === "" ? [] : trimmed.split(",").map((s) => {
        const v = parseYamlScalar(s.trim())
        return typeof v === "number" || typeof v === "boolean" ? v : s.trim()
      })
    default:
      return parseYamlScalar(trimmed)
  }
}

const parseYamlScalar = (text: string): unknown => {
  try {
    return YAML.parse(text)
  } catch {
    return text
  }
}

/** Check each override's path against the schema and type its value. */
const resolveOverrides = (file: string, overrides: ReadonlyArray<Override>) =>
  Effect.forEach(overrides, (o) => {
    const leaf = leafByPath.get(o.path)
    const moved = movedKeys[o.path]
    if (leaf === undefined && moved !== undefined) {
      return Effect.fail(new ConfigError({ file, field: o.path, message: `${o.source} ${o.path}: this key moved to ${moved}.`, fix: `use --set ${moved}=…` }))
    }
    if (leaf === undefined) {
      return Effect.fail(
        new ConfigError({
          file,
          field: o.path,
          message: `${o.source} ${o.path}: no such config path.${suggestion(o.path, configLeaves.map((l) => l.path))}`,
          fix: "run `pipeline config show <yaml>` to list every path"
        })
      )
    }
    return Effect.succeed({ override: o, leaf, value: typedValue(leaf, o.raw) })
  })

const lineOf = (doc: YAML.Document, lines: YAML.LineCounter, path: ReadonlyArray<PropertyKey>): string => {
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true)
    if (YAML.isNode(node) && node.range) return ` (line ${lines.linePos(node.range[0]).line})`
  }
  return ""
}

const siblingsAt = (path: ReadonlyArray<PropertyKey>): ReadonlyArray<string> => {
  const prefix = path.slice(0, -1).map(String).join(".")
  return [...new Set(configLeaves.filter((l) => l.path.startsWith(prefix === "" ? "" : `${prefix}.`)).map((l) => {
    const rest = prefix === "" ? l.path : l.path.slice(prefix.length + 1)
    return rest.split(".")[0]!
  }))]
}

const bounds: ReadonlyArray<readonly [RegExp, string]> = [
  [/^Expected a (?:number|integer) greater than or equal to (.+), actual (.+)$/s, "must be at least $1, got $2"],
  [/^Expected a (?:number|integer) less than or equal to (.+), actual (.+)$/s, "must be at most $1, got $2"],
  [/^Expected a (?:number|integer) greater than (.+), actual (.+)$/s, "must be more than $1, got $2"],
  [/^Expected a (?:number|integer) less than (.+), actual (.+)$/s, "must be less than $1, got $2"]
]

/** Schema's "Expected a number greater than or equal to 1, actual 0" as "must be at least 1, got 0". */
const plainRule = (message: string): string => {
  for (const [pattern, replacement] of bounds) if (pattern.test(message)) return message.replace(pattern, replacement)
  return message
}

const describeIssue = (
  file: string,
  issue: ParseResult.ArrayFormatterIssue,
  origin: (path: ReadonlyArray<PropertyKey>) => string
): ConfigError => {
  const field = issue.path.map(String).join(".")
  const at = origin(issue.path)
  if (issue._tag === "Unexpected") {
    const key = String(issue.path[issue.path.length - 1] ?? "")
    const moved = movedKeys[field]
    if (moved !== undefined) {
      return new ConfigError({ file, field, message: `${file}: ${field}${at}: this key moved to ${moved}.`, fix: `rename ${field} to ${moved}` })
    }
    return new ConfigError({
      file,
      field,
      message: `${file}: ${field}${at}: unknown key.${suggestion(key, siblingsAt(issue.path))}`,
      fix: `remove it or use one of: ${siblingsAt(issue.path).join(", ")}`
    })
  }
  const leaf = leafByPath.get(field)
  return new ConfigError({
    file,
    field,
    message: `${file}: ${field}${at}: ${plainRule(issue.message)}`,
    fix: leaf ? `${field} takes ${leaf.type.text}: ${leaf.description}` : "see `pipeline config show` for the expected shape"
  })
}

/** A config file larger than this is refused unread: configs are a few kilobytes. */
const MAX_CONFIG_BYTES = 1 << 20

/**
 * The text of a config file, or a ConfigError naming it. Anything but a regular file (a FIFO, a
 * device, a directory) is refused before it is opened, so the read can neither block nor run forever.
 */
export const readConfigText = Effect.fn("LoadConfig.read")(function*(file: string) {
  const fs = yield* FileSystem.FileSystem
  const refuse = (message: string, fix: string) => new ConfigError({ file, field: "(file)", message: `${file}: ${message}`, fix })
  const found = yield* inspectInputPath(file)
  switch (found._tag) {
    case "Missing":
      return yield* refuse("no such config file.", "check the path; example configs are in configs/")
    case "NotAFile":
      return yield* refuse(`${found.what}, not a config file.`, "pass a YAML file, e.g. configs/train.yaml")
    case "Unreadable":
      return yield* refuse(`cannot read the config file: ${found.reason}.`, "check the path and its permissions")
    case "File":
      if (found.size > MAX_CONFIG_BYTES) {
        return yield* refuse(
          `${(found.size / 2 ** 20).toFixed(1)} MiB is far too large for a config file (at most ${MAX_CONFIG_BYTES / 2 ** 20} MiB).`,
          "pass the YAML config, e.g. configs/train.yaml (data belongs in data.source.path)"
        )
      }
  }
  return yield* fs.readFileString(file).pipe(
    Effect.mapError(() => refuse("cannot read the config file.", "check the path; example configs are in configs/"))
  )
})

/** Read a YAML config, apply overrides, decode through the TrainConfig schema and record provenance. */
export const loadConfig = Effect.fn("LoadConfig.load")(function*(file: string, overrides: ReadonlyArray<Override>) {
  return yield* decodeConfigText(file, yield* readConfigText(file), overrides)
})

/** Problems listed one per line before the rest are counted. */
const MAX_LISTED_ISSUES = 8

const sectionNames = [...new Set(configLeaves.map((l) => l.path.split(".")[0]!))]

/**
 * One message for a file that is not a config at all (some other YAML, /proc/self/status, …):
 * no top-level key is a config section, nor close to one.
 */
const notAConfig = (file: string, root: MutableObject): ConfigError | undefined => {
  const keys = Object.keys(root)
  if (keys.length < 4) return undefined // a short file is answered key by key
  if (keys.some((key) => sectionNames.includes(key))) return undefined
  // a few typos are answered key by key ("did you mean …"); a file of strangers gets one message
  if (keys.filter((key) => suggestion(key, sectionNames) !== "").length * 2 >= keys.length) return undefined
  const listed = keys.slice(0, 4).map((key) => `'${key}'`).join(", ")
  return new ConfigError({
    file,
    field: "(root)",
    message: `${file} is not an lstm-pipeline config: none of its ${keys.length} top-level key${keys.length === 1 ? "" : "s"} (${listed}${
      keys.length > 4 ? ", …" : ""
    }) is a config section.`,
    fix: `a config has sections ${sectionNames.join(", ")}; start from configs/train.yaml`
  })
}

/** Most aliases (`*name`) a config may expand: a config needs a few, an alias bomb billions. */
const MAX_ALIAS_COUNT = 100

/** Runs a step of the YAML library, turning anything it throws into a ConfigError naming the file. */
const yamlStep = <A>(file: string, step: () => A): Effect.Effect<A, ConfigError> =>
  Effect.try({
    try: step,
    catch: (error) => {
      const reason = error instanceof Error ? error.message : String(error)
      const aliases = /alias/i.test(reason)
      return new ConfigError({
        file,
        field: "(yaml)",
        message: `${file}: the YAML cannot be decoded: ${reason.split("\n")[0]}.`,
        fix: aliases
          ? `use fewer aliases (*name): at most ${MAX_ALIAS_COUNT} expansions are allowed; write the values out instead`
          : "fix the YAML at that place, or start from configs/train.yaml"
      })
    }
  })

/** Decode config text (YAML) with overrides; pure apart from the file name used in messages. */
export const decodeConfigText = (file: string, text: string, overrides: ReadonlyArray<Override>) =>
  Effect.gen(function* () {
    const lines = new YAML.LineCounter()
    const doc = yield* yamlStep(file, () => YAML.parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true }))
    if (doc.errors.length > 0) {
      const first = doc.errors[0]!
      const pos = first.linePos?.[0]
      return yield* Effect.fail(
        new ConfigError({
          file,
          field: "(yaml)",
          message: `${file}${pos ? `:${pos.line}:${pos.col}` : ""}: malformed YAML: ${first.message.split("\n")[0]}`,
          fix: "fix the YAML syntax at that line (indentation, a missing ':' or an unclosed quote)"
        })
      )
    }
    // the YAML library throws on resource exhaustion (an alias bomb) and other decode failures
    const parsed: unknown = yield* yamlStep(file, () => doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }))
    if (parsed !== null && parsed !== undefined && !isObject(parsed)) {
      return yield* Effect.fail(
        new ConfigError({ file, field: "(root)", message: `${file}: the config must be a mapping of sections.`, fix: "start from configs/train.yaml" })
      )
    }
    const fromFile: MutableObject = isObject(parsed) ? parsed : {}
    const foreign = notAConfig(file, fromFile)
    if (foreign !== undefined) return yield* Effect.fail(foreign)
    const raw: MutableObject = structuredClone(fromFile)
    const resolved = yield* resolveOverrides(file, overrides)
    for (const r of resolved) setPath(raw, r.leaf.path.split("."), r.value)

    const overridden = new Map(resolved.map((r) => [r.leaf.path, r.override.source]))
    const origin = (path: ReadonlyArray<PropertyKey>): string => {
      const source = overridden.get(path.map(String).join("."))
      return source ? ` (from ${source})` : lineOf(doc, lines, path)
    }
    const decoded = Schema.decodeUnknownEither(TrainConfig, { onExcessProperty: "error", errors: "all" })(raw)
    if (Either.isLeft(decoded)) {
      const all = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)
      // An optional key reports "Expected undefined" beside the real issue, and a parent repeats
      // its child's failure: keep only the most specific, informative issue per path.
      const key = (i: ParseResult.ArrayFormatterIssue) => i.path.map(String).join(".")
      const informative = all.filter((i) => !i.message.startsWith("Expected undefined"))
      const pool = informative.length > 0 ? informative : all
      const issues = pool.filter((i, n) =>
        !pool.some((o) => key(o) !== key(i) && key(o).startsWith(`${key(i)}.`)) &&
        pool.findIndex((o) => key(o) === key(i)) === n
      )
      const errors = issues.map((i) => describeIssue(file, i, origin))
      const first = errors[0]!
      const shown = errors.slice(0, MAX_LISTED_ISSUES).map((e) => e.message)
      if (errors.length > MAX_LISTED_ISSUES) shown.push(`… and ${errors.length - MAX_LISTED_ISSUES} more`)
      return yield* Effect.fail(
        errors.length === 1
          ? first
          : new ConfigError({ file, field: first.field, message: shown.join("\n  "), fix: first.fix })
      )
    }
    const provenance: Record<string, Provenance> = {}
    for (const leaf of configLeaves) {
      const source = overridden.get(leaf.path)
      provenance[leaf.path] = source !== undefined
        ? `flag ${source}`
        : getPath(fromFile, leaf.path.split(".")) !== undefined
        ? "file"
        : "default"
    }
    return { file, config: decoded.right, provenance } satisfies LoadedConfig
  })

/** The resolved config as YAML, optionally annotated with where each value came from. */
export const renderConfig = (loaded: LoadedConfig, withProvenance: boolean): string => {
  const doc = new YAML.Document(loaded.config)
  if (withProvenance) {
    YAML.visit(doc, {
      Pair(_, pair, path) {
        if (!YAML.isScalar(pair.key) || (YAML.isMap(pair.value))) return
        const keys = path.filter(YAML.isPair).map((p) => (YAML.isScalar(p.key) ? String(p.key.value) : "")).concat(String(pair.key.value))
        const source = loaded.provenance[keys.join(".")]
        if (source !== undefined && pair.value !== null && YAML.isNode(pair.value)) pair.value.comment = ` ${source}`
      }
    })
  }
  return doc.toString({ lineWidth: 0 })
}

/** The config reference as a Markdown table (README section, `pipeline config docs`). */
export const configReference = (): string => {
  const defaults: unknown = Schema.encodeSync(TrainConfig)(Schema.decodeUnknownSync(TrainConfig)({}))
  const cell = (text: string) => text.replaceAll("|", "\\|")
  const rows = configLeaves.map((leaf) => {
    const value = Option.getOrElse(leaf.defaultValue, () => getPath(defaults, leaf.path.split(".")))
    const shown = value === undefined ? "—" : `\`${JSON.stringify(value)}\``
    return `| \`${leaf.path}\` | ${cell(leaf.type.text)} | ${cell(shown)} | ${cell(leaf.description)} |`
  })
  return ["| path | type | default | description |", "| --- | --- | --- | --- |", ...rows].join("\n")
}
