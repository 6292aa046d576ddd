// Compiles the native engine (src/engine/native/*.cc) into dist/engine/lstm-native.node, a
// Node-API addon, with the C++ compiler directly against Node's own headers (no node-gyp, no
// download). The AVX-512 and AVX2 kernel tables are separate translation units with their own
// target flags, so one binary serves both; the engine picks one at run time.
// No compiler (or not x86-64): one line, and the WebAssembly engine is used.
// Usage: node src/scripts/build-native.mjs   (CXX=... picks the compiler)
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const src = join(root, "src", "engine", "native")
const outDir = join(root, "dist", "engine")
const out = join(outDir, "lstm-native.node")
const objDir = join(outDir, "native-obj")

const say = (line) => console.log(`build-native: ${line}`)

const findCompiler = () => {
  const candidates = process.env.CXX ? [process.env.CXX] : ["g++", "c++", "clang++"]
  for (const c of candidates) {
    const r = spawnSync(c, ["--version"], { stdio: "ignore" })
    if (r.status === 0) return c
  }
  return null
}

const findHeaders = () => {
  const candidates = [
    join(dirname(process.execPath), "..", "include", "node"),
    "/usr/include/node",
    "/usr/local/include/node"
  ]
  return candidates.find((d) => existsSync(join(d, "node_api.h"))) ?? null
}

const units = [
  { file: "kernels_avx512.cc", flags: ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma", "-Wno-maybe-uninitialized"] },
  { file: "kernels_avx2.cc", flags: ["-mavx2", "-mfma"] },
  { file: "gates.cc", flags: ["-mavx2", "-mfma"] },
  { file: "ops.cc", flags: [] },
  { file: "model.cc", flags: [] },
  { file: "addon.cc", flags: [] }
]

const newestSource = () =>
  Math.max(statSync(fileURLToPath(import.meta.url)).mtimeMs, ...readdirSync(src).map((f) => statSync(join(src, f)).mtimeMs))

const main = () => {
  if (process.arch !== "x64") return say(`no native kernels for ${process.arch} (x86-64 only): the WebAssembly engine will be used`)
  const cxx = findCompiler()
  if (cxx === null) return say("no C++ compiler found (g++, c++ or clang++; set CXX): the WebAssembly engine will be used")
  const headers = findHeaders()
  if (headers === null) return say("Node's headers (node_api.h) not found: the WebAssembly engine will be used")
  if (existsSync(out) && statSync(out).mtimeMs > newestSource()) return say("dist/engine/lstm-native.node is up to date")
  mkdirSync(objDir, { recursive: true })
  // -ffp-contract=off: a multiply and an add stay two roundings (FMAs only where written),
  // which keeps the results identical across instruction sets and to the wasm kernels
  const common = ["-std=c++17", "-O3", "-fPIC", "-fvisibility=hidden", "-ffp-contract=off", "-fno-math-errno", "-pthread", "-Wall", "-Wextra", "-Wno-unused-parameter", `-I${headers}`]
  const objects = []
  try {
    for (const u of units) {
      const obj = join(objDir, u.file.replace(/\.cc$/, ".o"))
      execFileSync(cxx, [...common, ...u.flags, "-c", join(src, u.file), "-o", obj], { stdio: ["ignore", "inherit", "inherit"] })
      objects.push(obj)
    }
    const tmp = `${out}.tmp`
    execFileSync(cxx, ["-shared", "-pthread", "-o", tmp, ...objects], { stdio: ["ignore", "inherit", "inherit"] })
    renameSync(tmp, out)
  } catch (e) {
    rmSync(out, { force: true })
    console.error(`build-native: compiling the native engine with ${cxx} failed (${e.message.split("\n")[0]}): the WebAssembly engine will be used`)
    return
  }
  say(`wrote dist/engine/lstm-native.node (${cxx}, AVX-512 and AVX2 kernels)`)
}

main()
