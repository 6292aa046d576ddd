import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const isOurRoot = (dir: string): boolean => {
  const pkg = join(dir, "package.json")
  if (!existsSync(pkg)) return false
  try {
    const parsed: unknown = JSON.parse(readFileSync(pkg, "utf8"))
    return typeof parsed === "object" && parsed !== null && "name" in parsed && parsed.name === "lstm-pipeline"
  } catch {
    return false
  }
}

/** The repository root: the nearest directory above this module whose package.json is lstm-pipeline's. */
export const packageRoot = (from: string = import.meta.url): string | null => {
  let dir = dirname(from.startsWith("file:") ? fileURLToPath(from) : from)
  for (;;) {
    if (isOurRoot(dir)) return dir
    const up = dirname(dir)
    if (up === dir) return null
    dir = up
  }
}

/** Build outputs the engine loads at run time. */
export interface DistFiles {
  readonly root: string
  readonly relaxedWasm: string
  readonly simdWasm: string
  readonly worker: string
  /** The native engine's Node-API addon (absent where no compiler was found). */
  readonly native: string
}

/** Paths of the compiled kernels and the bundled worker under `<root>/dist`. */
export const distFiles = (): DistFiles | null => {
  const root = packageRoot()
  if (root === null) return null
  return {
    root,
    relaxedWasm: join(root, "dist", "engine", "lstm-relaxed.wasm"),
    simdWasm: join(root, "dist", "engine", "lstm-simd.wasm"),
    worker: join(root, "dist", "engine-worker.js"),
    native: join(root, "dist", "engine", "lstm-native.node")
  }
}
