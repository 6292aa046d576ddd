/**
 * The slice of the WebAssembly JS API the engine uses, typed here because the project's lib
 * setting (ES2022, no DOM) does not declare it.
 */

/** A compiled module (structured-cloneable to worker threads). */
export interface WasmModule {
  readonly __brand?: "WasmModule"
}

/** A linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}

/** An instance's exports. */
export interface WasmInstance {
  readonly exports: Record<string, unknown>
}

interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => WasmModule
  readonly Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance
  readonly Memory: abstract new (...args: ReadonlyArray<never>) => WasmMemory
  readonly validate: (bytes: Uint8Array) => boolean
}

/** The runtime's WebAssembly object. */
export const wasmApi: WasmApi = (globalThis as unknown as { readonly WebAssembly: WasmApi }).WebAssembly
