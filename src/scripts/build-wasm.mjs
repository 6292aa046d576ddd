// Compiles the AssemblyScript LSTM kernels (src/engine/assembly/lstm.ts) twice:
//   dist/engine/lstm-relaxed.wasm  SIMD128 + relaxed SIMD (f32x4.relaxed_madd -> FMA)
//   dist/engine/lstm-simd.wasm     plain SIMD128 (runs on any Node >= 16 without flags)
// Usage: node src/scripts/build-wasm.mjs
import { mkdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import asc from "assemblyscript/asc"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const source = join(root, "src", "engine", "assembly", "lstm.ts")
const outDir = join(root, "dist", "engine")
mkdirSync(outDir, { recursive: true })

const variants = [
  { file: "lstm-relaxed.wasm", features: ["--enable", "simd", "--enable", "relaxed-simd"] },
  { file: "lstm-simd.wasm", features: ["--enable", "simd"] }
]

for (const v of variants) {
  const { error, stderr } = await asc.main([
    source,
    "--outFile", join(outDir, v.file),
    "--runtime", "stub",
    "--optimizeLevel", "3",
    "--shrinkLevel", "0",
    "--noAssert",
    "--initialMemory", "16",
    ...v.features
  ])
  if (error) {
    console.error(stderr.toString())
    console.error(`build-wasm: compiling ${v.file} failed: ${error.message}`)
    process.exit(1)
  }
  console.log(`build-wasm: wrote dist/engine/${v.file}`)
}
