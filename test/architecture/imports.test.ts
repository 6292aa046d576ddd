import { describe, expect, it } from "vitest"
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join, normalize, relative } from "node:path"

const src = join(import.meta.dirname, "..", "..", "src")

/** Every TypeScript file under src/ (generated protobuf code aside), relative to src/. */
const sourceFiles = (dir = src): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return path.endsWith(join("proto", "gen")) ? [] : sourceFiles(path)
    return entry.name.endsWith(".ts") ? [relative(src, path)] : []
  })

/** Relative imports of a file (static, re-exports and dynamic), as paths relative to src/. */
const importsOf = (file: string): Array<string> => {
  const text = readFileSync(join(src, file), "utf8")
  const specs = [...text.matchAll(/(?:import|export)[^"'\n]*?from\s+["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2]!)
  return specs.map((spec) => normalize(join(dirname(file), spec)).replace(/\.js$/, ".ts"))
}

/** The folder a src/ path belongs to ("" for files at the top). */
const folderOf = (path: string): string => (path.includes("/") ? path.slice(0, path.indexOf("/")) : "")

const files = sourceFiles()
const edges = files.flatMap((from) => importsOf(from).map((to) => ({ from, to })))
const folderEdges = new Map<string, Set<string>>()
for (const { from, to } of edges) {
  const a = folderOf(from)
  const b = folderOf(to)
  if (a === b) continue
  folderEdges.set(a, (folderEdges.get(a) ?? new Set()).add(b))
}

/** A cycle between folders, as the folders on it; undefined when the folder graph is acyclic. */
const folderCycle = (): Array<string> | undefined => {
  const state = new Map<string, "open" | "done">()
  const stack: Array<string> = []
  const visit = (node: string): Array<string> | undefined => {
    if (state.get(node) === "done") return undefined
    if (state.get(node) === "open") return [...stack.slice(stack.indexOf(node)), node]
    state.set(node, "open")
    stack.push(node)
    for (const next of folderEdges.get(node) ?? []) {
      const found = visit(next)
      if (found !== undefined) return found
    }
    stack.pop()
    state.set(node, "done")
    return undefined
  }
  for (const node of folderEdges.keys()) {
    const found = visit(node)
    if (found !== undefined) return found
  }
  return undefined
}

const importersOf = (folder: string) => edges.filter((e) => folderOf(e.to) === folder && folderOf(e.from) !== folder).map((e) => e.from)

describe("import rules", () => {
  it("finds the source files and their imports (the rules below are not vacuous)", () => {
    expect(files.length).toBeGreaterThan(80)
    expect(folderEdges.get("stages")?.has("train")).toBe(true)
  })

  it("has no cycle between folders: data flows one way", () => {
    expect(folderCycle()).toBeUndefined()
  })

  it("nothing under src/ imports src/cli/ except src/bin.ts", () => {
    expect(importersOf("cli").filter((f) => f !== "bin.ts")).toEqual([])
  })

  it("the engine builds on model concepts, the seeded generator and device facts only; the model never imports the engine or its consumers", () => {
    expect([...(folderEdges.get("engine") ?? [])].sort()).toEqual(["device", "model", "random"])
    expect([...(folderEdges.get("device") ?? [])]).toEqual([])
    const consumers = ["engine", "train", "stages", "pipeline", "resume", "evaluate", "predict", "cli"]
    expect([...(folderEdges.get("model") ?? [])].filter((f) => consumers.includes(f))).toEqual([])
  })

  it("the seeded generator is a leaf every layer may use: it imports nothing", () => {
    expect(folderEdges.get("random")).toBeUndefined()
    expect(importersOf("random").length).toBeGreaterThan(0)
  })

  it("low layers (files, config, data, the run directory format) never import the stages or the pipeline above them", () => {
    const low = ["fs", "config", "data", "rundir", "cache", "checkpoint", "tracking", "evaluate", "model", "engine"]
    const high = ["stages", "pipeline", "cli", "predict", "resume", "train"]
    const upward = edges.filter((e) => low.includes(folderOf(e.from)) && high.includes(folderOf(e.to)))
    expect(upward.map((e) => `${e.from} → ${e.to}`)).toEqual([])
  })
})
