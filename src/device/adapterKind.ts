/** What identifies a WebGPU adapter, as `GPUAdapterInfo` reports it. */
export interface AdapterIdentity {
  readonly vendor: string
  readonly architecture: string
  readonly device: string
  readonly description: string
  /** `GPUAdapterInfo.isFallbackAdapter` (or the older `GPUAdapter.isFallbackAdapter`). */
  readonly isFallbackAdapter: boolean
}

const softwareNames: ReadonlyArray<readonly [RegExp, string]> = [
  [/llvmpipe|lavapipe/i, "Mesa lavapipe (llvmpipe), a CPU rasterizer"],
  [/swiftshader/i, "SwiftShader, a CPU rasterizer"],
  [/warp|microsoft basic render/i, "Microsoft WARP, a CPU rasterizer"],
  [/null-backend/i, "Dawn's null backend (computes nothing)"]
]

/**
 * Why an adapter is a software (CPU) implementation, or null for a hardware GPU. Dawn marks
 * lavapipe as a fallback adapter with architecture "software"; the names catch drivers that do not.
 */
export const softwareReason = (a: AdapterIdentity): string | null => {
  const text = `${a.vendor} ${a.architecture} ${a.device} ${a.description}`
  for (const [pattern, what] of softwareNames) if (pattern.test(text)) return what
  if (a.isFallbackAdapter) return "the adapter says it is a fallback adapter (isFallbackAdapter)"
  if (/^(software|cpu)$/i.test(a.architecture)) return `the adapter's architecture is "${a.architecture}"`
  return null
}

/** One line naming an adapter, e.g. "mesa llvmpipe: Mesa 25.0.7 (software)". */
export const adapterLabel = (a: AdapterIdentity): string => {
  const name = a.description || a.device || "unnamed adapter"
  const vendor = a.vendor ? `${a.vendor} ` : ""
  return `${vendor}${name} (${softwareReason(a) === null ? "hardware GPU" : "software"})`
}
