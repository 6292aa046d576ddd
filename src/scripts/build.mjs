// Builds everything `pipeline` runs: the WebAssembly kernels, the native kernels (when a C++
// compiler is present), then the CLI, the engine's worker and the benchmark as ESM bundles.
// Usage: npm run build
import { build } from "esbuild"
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
await import("./build-wasm.mjs")
await import("./build-native.mjs")

const entries = [
  ["src/bin.ts", "dist/bin.js"],
  ["src/engine/worker.ts", "dist/engine-worker.js"],
  ["src/bench/bench.ts", "dist/bench.js"]
].filter(([src]) => existsSync(join(root, src)))

await Promise.all(entries.map(([src, out]) =>
  build({
    entryPoints: [join(root, src)],
    outfile: join(root, out),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // our code and Effect are bundled (tree-shaken: fast start); heavy or native packages load from node_modules
    external: ["@tensorflow/*", "webgpu", "@resvg/*", "vega", "vega-lite", "assemblyscript", "csv-parse", "@stdlib/*", "bullmq", "ioredis"],
    sourcemap: true,
    // CommonJS dependencies inside the ESM bundle need a real `require`
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: "warning"
  })
))
console.log(`build: wrote ${entries.map(([, out]) => out).join(", ")}`)
