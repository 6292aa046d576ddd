import { execFileSync } from "node:child_process"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { build } from "esbuild"
import { beforeAll, describe, expect, it } from "vitest"
import { packageRoot } from "../../src/engine/paths.js"
import { hasRelaxedSimd } from "../../src/engine/simd.js"
import { requireDist } from "./helpers.js"

beforeAll(requireDist)

describe("relaxed SIMD build", () => {
  it("is detected as absent without the flag, so auto falls back to plain SIMD", () => {
    // vitest workers run without --experimental-wasm-relaxed-simd on Node 20
    if (process.versions.node.startsWith("20.") && !process.execArgv.some((a) => a.includes("relaxed-simd"))) {
      expect(hasRelaxedSimd()).toBe(false)
    }
  })

  it("matches the float64 reference when run with --experimental-wasm-relaxed-simd", async () => {
    const root = packageRoot()
    if (root === null) throw new Error("package root not found")
    // bundled under the repo so the engine finds dist/ by walking up from the bundle
    const outDir = join(root, "node_modules", ".cache", "lstm-engine-test")
    mkdirSync(outDir, { recursive: true })
    const outfile = join(outDir, "relaxedCheck.mjs")
    await build({ entryPoints: [join(root, "test/engine/fixtures/relaxedCheck.ts")], bundle: true, platform: "node", format: "esm", packages: "external", outfile, logLevel: "warning" })
    const out = execFileSync(process.execPath, ["--experimental-wasm-relaxed-simd", outfile], { encoding: "utf8", cwd: root })
    const parsed: unknown = JSON.parse(out.trim().split("\n").pop() ?? "")
    expect(parsed).toMatchObject({ relaxed: true })
    const results = (parsed as { results: Array<{ name: string; loss: number; grads: number }> }).results
    expect(results).toHaveLength(2)
    for (const r of results) {
      expect(r.name).toBe("wasm-relaxed-simd")
      expect(r.loss).toBeLessThan(1e-5)
      expect(r.grads).toBeLessThan(1e-5)
    }
  })
})
