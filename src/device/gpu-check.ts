/**
 * Standalone device check for a GPU machine: probe every backend, run a matmul on each usable
 * tfjs backend (webgpu first) against a float64 reference, and print one JSON report.
 * Bundle: `esbuild src/device/gpu-check.ts --bundle --platform=node --format=cjs --external:webgpu
 * --outfile=gpu-check.cjs`; ship it with the `webgpu` package's package.json, index.js and
 * dist/<platform>.dawn.node next to it (in ./, ./webgpu/ or ./node_modules/webgpu/).
 */
import { Effect } from "effect"
import { acquireDevice, probeDevices, type DeviceName, type DeviceStatus } from "./Device.js"
import { errorLine } from "./loaders.js"

/** Result of one matmul on one backend. */
interface MatmulCheck {
  readonly device: DeviceName
  readonly ok: boolean
  readonly size?: number
  readonly maxAbsError?: number
  readonly firstRunMs?: number
  readonly warmRunMs?: number
  readonly details?: Readonly<Record<string, string>>
  readonly error?: string
}

const size = 256

/** Deterministic inputs in [-1, 1), so every backend multiplies the same matrices. */
const inputs = (n: number): { readonly a: Float32Array; readonly b: Float32Array } => {
  let seed = 12345
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return (seed / 2147483648) * 2 - 1
  }
  return { a: Float32Array.from({ length: n * n }, next), b: Float32Array.from({ length: n * n }, next) }
}

const reference = (a: Float32Array, b: Float32Array, n: number): Float64Array => {
  const out = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k] ?? 0
      for (let j = 0; j < n; j++) out[i * n + j] = (out[i * n + j] ?? 0) + aik * (b[k * n + j] ?? 0)
    }
  }
  return out
}

const { a, b } = inputs(size)
const expected = reference(a, b, size)

const checkMatmul = (status: DeviceStatus): Effect.Effect<MatmulCheck> =>
  Effect.scoped(
    Effect.gen(function* () {
      const { tf, details } = yield* acquireDevice({
        name: status.name,
        gpu: status.name === "webgpu" || status.name === "tensorflow" ? 0 : null,
        engine: status.name === "cpu" || status.name === "wasm" ? "fused" : "tfjs",
        status
      })
      const timed = Effect.promise(async () => {
        const started = performance.now()
        const product = tf.tidy(() => tf.matMul(tf.tensor2d(a, [size, size]), tf.tensor2d(b, [size, size])))
        const data = await product.data()
        product.dispose()
        return { data, ms: performance.now() - started }
      })
      const first = yield* timed
      const warm = yield* timed
      let maxAbsError = 0
      for (let i = 0; i < expected.length; i++) maxAbsError = Math.max(maxAbsError, Math.abs((warm.data[i] ?? NaN) - (expected[i] ?? 0)))
      return {
        device: status.name,
        // float32 accumulation over 256 terms of magnitude < 1 stays well inside 1e-3.
        ok: maxAbsError < 1e-3 && tf.getBackend() === status.name,
        size,
        maxAbsError,
        firstRunMs: Math.round(first.ms * 10) / 10,
        warmRunMs: Math.round(warm.ms * 10) / 10,
        details
      }
    })
  ).pipe(
    Effect.catchAll((error) => Effect.succeed<MatmulCheck>({ device: status.name, ok: false, error: `${error.reason} (fix: ${error.fix})` })),
    Effect.catchAllDefect((defect) => Effect.succeed<MatmulCheck>({ device: status.name, ok: false, error: errorLine(defect) }))
  )

const program = Effect.gen(function* () {
  const started = Date.now()
  const devices = yield* probeDevices()
  // One backend at a time: tfjs is process-global. webgpu first, as it is what this check is for.
  const order: ReadonlyArray<DeviceName> = ["webgpu", "tensorflow", "wasm", "cpu"]
  const matmul: Array<MatmulCheck> = []
  for (const name of order) {
    const status = devices.find((d) => d.name === name)
    if (status !== undefined && status.available) matmul.push(yield* checkMatmul(status))
  }
  const webgpu = matmul.find((m) => m.device === "webgpu")
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    devices,
    matmul,
    webgpuMatmulOk: webgpu?.ok ?? false,
    elapsedMs: Date.now() - started
  }
})

Effect.runPromise(program).then(
  (report) => {
    process.stdout.write(JSON.stringify(report, null, 2) + "\n")
    // dawn.node can hold the event loop open; the report is complete, so leave explicitly.
    process.exit(report.webgpuMatmulOk ? 0 : 1)
  },
  (error: unknown) => {
    process.stdout.write(JSON.stringify({ crashed: errorLine(error) }) + "\n")
    process.exit(2)
  }
)
