/** Runtime detection of WebAssembly SIMD features by validating tiny hand-assembled modules. */
import { wasmApi } from "./wasmApi.js"

const moduleReturningV128 = (body: ReadonlyArray<number>): Uint8Array => {
  const code = [0x00, ...body, 0x0b]
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
    0x03, 0x02, 0x01, 0x00, // one function of type 0
    0x0a, code.length + 2, 0x01, code.length, ...code
  ])
}

const v128Zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)]

/** True when this runtime accepts SIMD128 (v128.const). */
export const hasSimd = (): boolean => wasmApi.validate(moduleReturningV128(v128Zero))

/** True when this runtime accepts relaxed SIMD (f32x4.relaxed_madd); Node 20 needs --experimental-wasm-relaxed-simd. */
export const hasRelaxedSimd = (): boolean =>
  wasmApi.validate(moduleReturningV128([...v128Zero, ...v128Zero, ...v128Zero, 0xfd, 0x85, 0x02]))
