import { describe, expect, it } from "@effect/vitest"
import { Either, JSONSchema, Option, Schema, SchemaAST } from "effect"
import { DataConfig, defaultDataConfig } from "../../src/data/DataConfig.js"

const decode = Schema.decodeUnknownEither(DataConfig)

/** Every property of every struct on the type side of `ast`, with the signature's (or value's) annotations. */
const properties = (ast: SchemaAST.AST, path: string): Array<{ path: string; ast: SchemaAST.Annotated }> => {
  switch (ast._tag) {
    case "TypeLiteral":
      return ast.propertySignatures.flatMap((p) => {
        const child = `${path}.${String(p.name)}`
        const annotated = Option.isSome(SchemaAST.getDescriptionAnnotation(p)) ? p : p.type
        return [{ path: child, ast: annotated }, ...properties(p.type, child)]
      })
    case "Union":
      return ast.types.flatMap((member) => properties(member, path))
    case "Refinement":
      return properties(ast.from, path)
    case "Transformation":
      return properties(ast.to, path)
    default:
      return []
  }
}

/** Paths of all properties in a JSON Schema (through anyOf/allOf/$ref), with their descriptions. */
const jsonProperties = (
  node: unknown,
  defs: Record<string, unknown>,
  path: string
): Array<{ path: string; description: unknown }> => {
  if (typeof node !== "object" || node === null) return []
  const anyOf: unknown = Reflect.get(node, "anyOf")
  const allOf: unknown = Reflect.get(node, "allOf")
  const ref: unknown = Reflect.get(node, "$ref")
  const props: unknown = Reflect.get(node, "properties")
  const nested = [
    ...(Array.isArray(anyOf) ? anyOf : []),
    ...(Array.isArray(allOf) ? allOf : []),
    ...(typeof ref === "string" ? [defs[ref.replace("#/$defs/", "")]] : [])
  ].flatMap((child) => jsonProperties(child, defs, path))
  const own = typeof props === "object" && props !== null
    ? Object.entries(props).flatMap(([name, child]) => {
      const childPath = `${path}.${name}`
      const description = typeof child === "object" && child !== null ? Reflect.get(child, "description") : undefined
      return [{ path: childPath, description }, ...jsonProperties(child, defs, childPath)]
    })
    : []
  return [...own, ...nested]
}

describe("DataConfig", () => {
  it("fills every default from an empty section", () => {
    expect(defaultDataConfig).toEqual({
      source: { kind: "dataset", name: "us-births-1994-2003" },
      lookback: 28,
      horizon: 1,
      stride: 1,
      split: { train: 0.7, val: 0.15, test: 0.15 },
      scaler_scope: "series",
      series_id: "none",
      scaler: "standard",
      calendar: {
        day_of_week: true,
        day_of_year: true,
        month: false,
        holidays: { country: null, state: null, types: ["public"], which: 8, neighbours: 1, clip_days: 14 }
      }
    })
  })

  it("fills source defaults per kind", () => {
    const synthetic = decode({ source: { kind: "synthetic", seed: 3 } })
    expect(Either.getOrThrow(synthetic).source).toEqual({
      kind: "synthetic",
      length: 2000,
      period: 7,
      level: 100,
      trend: 0.01,
      amplitude: 10,
      noise: 1,
      seed: 3,
      series: 1,
      start: "2000-01-01",
      frequency: "daily"
    })
    const csv = decode({ source: { kind: "csv", path: "a.csv", target_column: "y" } })
    expect(Either.getOrThrow(csv).source).toEqual({
      kind: "csv",
      path: "a.csv",
      target_column: "y",
      target_columns: [],
      static_columns: [],
      feature_columns: [],
      future_columns: [],
      delimiter: ","
    })
  })

  it("has a description on every field, on the type side and in the JSON Schema", () => {
    const fields = properties(DataConfig.ast, "data")
    expect(fields.length).toBeGreaterThan(25)
    expect(fields.filter(({ ast }) => Option.isNone(SchemaAST.getDescriptionAnnotation(ast))).map((f) => f.path))
      .toEqual([])
    const schema = JSONSchema.make(DataConfig)
    const json = jsonProperties(schema, schema.$defs ?? {}, "data")
    expect(json.length).toBeGreaterThan(25)
    expect(json.filter((f) => typeof f.description !== "string" || f.description === "").map((f) => f.path)).toEqual([])
  })

  it("rejects split fractions that do not sum to 1, naming the sum", () => {
    const result = decode({ split: { train: 0.8, val: 0.15, test: 0.15 } })
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(result.left.message).toContain("data.split fractions must sum to 1")
      expect(result.left.message).toContain("= 1.1")
    }
    expect(Either.isRight(decode({ split: { train: 0.6, val: 0.2, test: 0.2 } }))).toBe(true)
    expect(Either.isRight(decode({ split: { train: 0.55, val: 0.1 + 0.2, test: 0.15 } }))).toBe(true)
  })

  it("enforces ranges and kinds", () => {
    expect(Either.isLeft(decode({ lookback: 0 }))).toBe(true)
    expect(Either.isLeft(decode({ horizon: 1.5 }))).toBe(true)
    expect(Either.isLeft(decode({ scaler: "robust" }))).toBe(true)
    expect(Either.isLeft(decode({ source: { kind: "dataset", name: "us-births-1990" } }))).toBe(true)
    expect(Either.isLeft(decode({ source: { kind: "csv", target_column: "y" } }))).toBe(true)
    expect(Either.isLeft(decode({ source: { kind: "synthetic", start: "2001-02-30" } }))).toBe(true)
    expect(Either.isLeft(decode({ source: { kind: "csv", path: "a.csv", target_column: "y", delimiter: ";;" } })))
      .toBe(true)
  })
})
