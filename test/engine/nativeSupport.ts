/**
 * Whether the native engine tests run here: they need dist/engine/lstm-native.node (built by
 * `npm run build` when a C++ compiler is present) and an AVX2 or AVX-512 CPU. Without them the
 * tests are skipped with the reason printed; with LSTM_REQUIRE_NATIVE=1 (CI sets it) the
 * absence is a failure instead.
 */
import { nativeSupport } from "../../src/engine/nativeAddon.js"

const support = nativeSupport()

/** The reason the native engine is unusable, or null when it can be tested. */
export const nativeMissing: string | null = support.ok ? null : support.reason

/** True when the suite must fail rather than skip without the native engine. */
export const nativeRequired = process.env["LSTM_REQUIRE_NATIVE"] === "1"

/** Instruction sets this CPU runs the native kernels with, best first. */
export const nativeIsas: ReadonlyArray<"avx512" | "avx2"> = support.ok ? (support.cpu.avx512 ? ["avx512", "avx2"] : ["avx2"]) : []

if (nativeMissing !== null && !nativeRequired) console.log(`skipping native engine tests: ${nativeMissing}`)
