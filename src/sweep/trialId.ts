import { canonicalJson } from "../cache/canonical.js"
import { sha256Hex } from "../fs/hash.js"
import type { ParamValue } from "./domain.js"

/**
 * A trial's id: a hash of what makes it this trial, whatever order the keys came in: its parameter
 * values, the other values every trial of the sweep sets (but output_dir), and the base config's text.
 */
export const trialIdOf = (input: {
  readonly params: Readonly<Record<string, ParamValue>>
  readonly fixed: ReadonlyArray<{ readonly path: string; readonly value: string }>
  readonly baseText: string
}): string =>
  "t-" + sha256Hex(canonicalJson({
    params: input.params,
    // where the run is written does not change what it computes
    fixed: Object.fromEntries(input.fixed.filter((f) => f.path !== "output_dir").map((f) => [f.path, f.value])),
    base: sha256Hex(input.baseText)
  })).slice(0, 12)

/** A sweep's id: its file's name and a hash of everything that decides its trials. */
export const sweepIdOf = (name: string, trialIds: ReadonlyArray<string>, definition: unknown): string =>
  `${name}-${sha256Hex(canonicalJson({ trials: [...trialIds].sort(), definition })).slice(0, 8)}`
