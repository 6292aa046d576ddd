import { Option, SchemaAST as AST } from "effect"

/** What a config leaf accepts, read off the Schema's AST. */
export interface LeafType {
  /** Human-readable type, e.g. `integer`, `"min" | "max"`, `number | null`, `string[]`. */
  readonly text: string
  readonly kind: "string" | "number" | "boolean" | "array" | "other"
  readonly nullable: boolean
  /** Allowed literal values when the field is an enumeration. */
  readonly literals: ReadonlyArray<string | number | boolean>
}

/** One leaf of the config tree: a dotted path, its type and its documentation. */
export interface ConfigLeaf {
  readonly path: string
  readonly type: LeafType
  readonly description: string
  /** The `default` annotation, when the field has a default. */
  readonly defaultValue: Option.Option<unknown>
}

/** Docs live in the `documentation` annotation so that validation messages stay Effect's own. */
const description = (ast: AST.AST): Option.Option<string> =>
  Option.orElse(AST.getDocumentationAnnotation(ast), () => AST.getDescriptionAnnotation(ast))

/** `X | undefined` (an optional key's type) is documented and typed as X. */
const withoutUndefined = (ast: AST.AST): AST.AST => {
  if (ast._tag !== "Union" || !ast.types.some((t) => t._tag === "UndefinedKeyword")) return ast
  const rest = ast.types.filter((t) => t._tag !== "UndefinedKeyword")
  return rest.length === 1 ? rest[0]! : AST.Union.make(rest, ast.annotations)
}

/** Strip transformations, refinements and suspensions to reach the structural node. */
const structural = (input: AST.AST): AST.AST => {
  const ast = withoutUndefined(input)
  switch (ast._tag) {
    case "Transformation":
      return structural(ast.from)
    case "Refinement":
      return structural(ast.from)
    case "Suspend":
      return structural(ast.f())
    default:
      return ast
  }
}

/** The first description found walking down through wrappers. */
const describe = (ast: AST.AST): string => {
  let current: AST.AST = withoutUndefined(ast)
  for (;;) {
    const found = description(current)
    if (Option.isSome(found)) return found.value
    if (current._tag === "Transformation" || current._tag === "Refinement") current = current.from
    else return ""
  }
}

/** The first `default` annotation found walking down through wrappers. */
const defaultOf = (ast: AST.AST): Option.Option<unknown> => {
  let current: AST.AST = withoutUndefined(ast)
  for (;;) {
    const found = AST.getDefaultAnnotation(current)
    if (Option.isSome(found)) return found
    if (current._tag === "Transformation" || current._tag === "Refinement") current = current.from
    else return Option.none()
  }
}

const isInteger = (ast: AST.AST): boolean => {
  let current: AST.AST = withoutUndefined(ast)
  while (current._tag === "Refinement" || current._tag === "Transformation") {
    const id = AST.getSchemaIdAnnotation(current)
    if (Option.isSome(id) && String(id.value).includes("Int")) return true
    const title = AST.getTitleAnnotation(current)
    if (Option.isSome(title) && title.value === "int") return true
    current = current.from
  }
  return false
}

/** The property signatures of a struct-like node (a union of structs contributes all its members' keys). */
export const propertiesOf = (ast: AST.AST): ReadonlyArray<AST.PropertySignature> => {
  const node = structural(ast)
  if (node._tag === "TypeLiteral") return node.propertySignatures
  if (node._tag === "Union") {
    // a tagged union of structs: each key once, its type the union of the members' types
    const byName = new Map<PropertyKey, Array<AST.PropertySignature>>()
    for (const member of node.types) for (const p of propertiesOf(member)) byName.set(p.name, [...(byName.get(p.name) ?? []), p])
    return [...byName.values()].map((ps) => {
      if (ps.length === 1) return ps[0]!
      const docs = [...new Set(ps.map((p) => describe(p.type)).filter((d) => d !== ""))].join(" ")
      const type = AST.Union.make(ps.map((p) => withoutUndefined(p.type)), { [AST.DocumentationAnnotationId]: docs })
      return new AST.PropertySignature(ps[0]!.name, type, ps.some((p) => p.isOptional), true)
    })
  }
  return []
}

const isStructLike = (ast: AST.AST): boolean => propertiesOf(ast).length > 0

/** Describe the accepted values of a leaf. */
export const leafType = (input: AST.AST): LeafType => {
  const ast = withoutUndefined(input)
  const node = structural(ast)
  if (node._tag === "Union") {
    const isNull = (t: AST.AST) => { const s = structural(t); return s._tag === "Literal" && s.literal === null }
    const nullable = node.types.some(isNull)
    const members = node.types.filter((t) => !isNull(t)).map(leafType)
    const kinds = new Set(members.map((m) => m.kind))
    const kind = kinds.size === 1 ? [...kinds][0]! : "other"
    const text = members.map((m) => m.text).join(" | ")
    return { text: nullable ? `${text} | null` : text, kind, nullable, literals: members.flatMap((m) => m.literals) }
  }
  switch (node._tag) {
    case "Literal":
      if (node.literal === null) return { text: "null", kind: "other", nullable: true, literals: [] }
      return {
        text: JSON.stringify(node.literal),
        kind: typeof node.literal === "string" ? "string" : typeof node.literal === "number" ? "number" : typeof node.literal === "boolean" ? "boolean" : "other",
        nullable: false,
        literals: typeof node.literal === "bigint" ? [] : [node.literal]
      }
    case "StringKeyword":
      return { text: "string", kind: "string", nullable: false, literals: [] }
    case "NumberKeyword":
      return { text: isInteger(ast) ? "integer" : "number", kind: "number", nullable: false, literals: [] }
    case "BooleanKeyword":
      return { text: "boolean", kind: "boolean", nullable: false, literals: [] }
    case "TupleType": {
      const element = node.rest[0]
      const inner = element ? leafType(element.type) : { text: "unknown", literals: [] as ReadonlyArray<string> }
      const elementText = inner.literals.length > 0 ? `(${inner.text})` : inner.text
      return { text: `${elementText}[]`, kind: "array", nullable: false, literals: [] }
    }
    default:
      return { text: node._tag, kind: "other", nullable: false, literals: [] }
  }
}

/** Every leaf of a config schema with its dotted path, type and description. */
export const leavesOf = (ast: AST.AST, prefix = ""): ReadonlyArray<ConfigLeaf> =>
  propertiesOf(ast).flatMap((p) => {
    const path = prefix === "" ? String(p.name) : `${prefix}.${String(p.name)}`
    return isStructLike(p.type)
      ? leavesOf(p.type, path)
      : [{ path, type: leafType(p.type), description: describe(p.type), defaultValue: defaultOf(p.type) }]
  })

/** Sections (struct-valued paths) with their descriptions, for documentation. */
export const sectionsOf = (ast: AST.AST, prefix = ""): ReadonlyArray<{ readonly path: string; readonly description: string }> =>
  propertiesOf(ast).flatMap((p) => {
    const path = prefix === "" ? String(p.name) : `${prefix}.${String(p.name)}`
    return isStructLike(p.type) ? [{ path, description: describe(p.type) }, ...sectionsOf(p.type, path)] : []
  })
