import { Context, Effect, Schema } from "effect"
import { execFile } from "node:child_process"
import { adapterLabel, softwareReason } from "./adapterKind.js"

/** One WebGPU adapter as the probe saw it. */
export const AdapterReport = Schema.Struct({
  vendor: Schema.String,
  architecture: Schema.String,
  device: Schema.String,
  description: Schema.String,
  isFallbackAdapter: Schema.Boolean,
  subgroupMinSize: Schema.NullOr(Schema.Number),
  subgroupMaxSize: Schema.NullOr(Schema.Number),
  limits: Schema.Record({ key: Schema.String, value: Schema.Number })
})

/** One WebGPU adapter as the probe saw it. */
export type AdapterReport = typeof AdapterReport.Type

/** What the adapter probe found: the adapters (hardware first), or why there are none. */
export interface AdapterListing {
  readonly adapters: ReadonlyArray<AdapterReport>
  /** Why dawn.node could not be asked at all (not installed, crashed); null when it answered. */
  readonly failure: string | null
  /** What Dawn printed on its own stderr, said in words; null when it printed nothing of note. */
  readonly note: string | null
}

/** Lists WebGPU adapters. The default asks dawn.node in a child process; tests provide their own. */
export class AdapterProbe extends Context.Tag("lstm-pipeline/AdapterProbe")<AdapterProbe, { readonly list: Effect.Effect<AdapterListing> }>() {}

/** Hardware adapters of a listing, in probe order: what `--gpu N` indexes. */
export const hardwareAdapters = (listing: AdapterListing): ReadonlyArray<AdapterReport> =>
  listing.adapters.filter((a) => softwareReason(a) === null)

const limitNames = [
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxStorageBuffersPerShaderStage"
]

// Runs in a child process so Dawn's native stderr (Vulkan loader messages) is captured, not
// printed over our output, and a driver crash cannot take the CLI down.
const childScript = `
const [url, names] = [process.argv[1], JSON.parse(process.argv[2])]
const { create } = await import(url)
const gpu = create([])
const out = []
const seen = new Set()
for (const options of [{ powerPreference: "high-performance" }, { powerPreference: "low-power" }, { forceFallbackAdapter: true }]) {
  const a = await gpu.requestAdapter(options).catch(() => null)
  if (!a) continue
  const i = a.info
  const key = [i.vendor, i.architecture, i.device, i.description].join("|")
  if (seen.has(key)) continue
  seen.add(key)
  const limits = {}
  for (const n of names) if (typeof a.limits[n] === "number") limits[n] = a.limits[n]
  out.push({ vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description,
    isFallbackAdapter: i.isFallbackAdapter === true || a.isFallbackAdapter === true,
    subgroupMinSize: i.subgroupMinSize ?? null, subgroupMaxSize: i.subgroupMaxSize ?? null, limits })
}
process.stdout.write(JSON.stringify(out))
process.exit(0)
`

/** Dawn's stderr in words: what matters to a user, without the harmless limit notes. */
export const explainDawnStderr = (stderr: string): string | null => {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !/artificially reduced/.test(l))
  if (lines.length === 0) return null
  if (lines.some((l) => /Couldn't load Vulkan|libvulkan/i.test(l))) {
    return "Dawn could not load the Vulkan loader (libvulkan.so.1): install libvulkan1 and a Vulkan driver (a GPU driver, or mesa-vulkan-drivers for the software lavapipe)"
  }
  return `Dawn reported: ${lines[0]}${lines.length > 1 ? ` (+${lines.length - 1} more line(s))` : ""}`
}

const webgpuUrl = (): string | null => {
  try {
    return import.meta.resolve("webgpu")
  } catch {
    return null
  }
}

/** Asks dawn.node for its adapters in a child process, time-boxed; never fails. */
export const dawnAdapterListing: Effect.Effect<AdapterListing> = Effect.async<AdapterListing>((resume) => {
  const url = webgpuUrl()
  if (url === null) {
    resume(Effect.succeed({ adapters: [], failure: "the optional webgpu package (dawn.node) is not installed", note: null }))
    return
  }
  const child = execFile(
    process.execPath,
    ["--input-type=module", "-e", childScript, url, JSON.stringify(limitNames)],
    { timeout: 15_000, maxBuffer: 1 << 20 },
    (error, stdout, stderr) => {
      const note = explainDawnStderr(stderr)
      const decoded = Schema.decodeUnknownEither(Schema.parseJson(Schema.Array(AdapterReport)))(stdout)
      if (decoded._tag === "Right") {
        // hardware first: `--gpu N` counts hardware adapters only
        const adapters = [...decoded.right].sort((a, b) => Number(softwareReason(a) !== null) - Number(softwareReason(b) !== null))
        resume(Effect.succeed({ adapters, failure: null, note }))
        return
      }
      const why = error === null ? "it printed no adapter list" : error.killed ? "it timed out after 15 s" : error.message.split("\n")[0]!
      resume(Effect.succeed({ adapters: [], failure: `asking dawn.node for adapters failed: ${why}`, note }))
    }
  )
  return Effect.sync(() => child.kill())
}).pipe(Effect.withSpan("Device.dawnAdapterListing"))

/** The adapter probe this process uses: the one provided, else dawn.node in a child process. */
export const listAdapters: Effect.Effect<AdapterListing> = Effect.serviceOption(AdapterProbe).pipe(
  Effect.flatMap((probe) => (probe._tag === "Some" ? probe.value.list : dawnAdapterListing))
)

/** A probe that reports a fixed listing (tests). */
export const fixedAdapterProbe = (listing: AdapterListing) => AdapterProbe.of({ list: Effect.succeed(listing) })

/** Details lines of a listing for `pipeline devices`. */
export const adapterDetails = (listing: AdapterListing): Record<string, string> => {
  const out: Record<string, string> = {}
  listing.adapters.forEach((a, i) => {
    const software = softwareReason(a)
    out[`adapter ${i}`] = adapterLabel(a)
    out[`adapter ${i} kind`] = software === null ? "hardware GPU" : `software: ${software}`
    out[`adapter ${i} vendor / architecture`] = `${a.vendor || "?"} / ${a.architecture || "?"}`
    const sub = a.subgroupMinSize === null ? "unknown" : a.subgroupMinSize === a.subgroupMaxSize ? String(a.subgroupMinSize) : `${a.subgroupMinSize}-${a.subgroupMaxSize}`
    out[`adapter ${i} limits`] = `${Object.entries(a.limits).map(([k, v]) => `${k}=${v}`).join(", ")}; subgroup size ${sub}`
  })
  if (listing.note !== null) out["dawn"] = listing.note
  return out
}
