import { Rng } from "../random/Rng.js"
import type { ParamSpace, ParamValue } from "./domain.js"

/** The parameter spaces of a sweep, in the order the file lists them. */
export type Space = ReadonlyArray<readonly [path: string, space: ParamSpace]>

/** One assignment of values to the swept paths. */
export type Assignment = Readonly<Record<string, ParamValue>>

/** Every combination of the listed values, the first parameter varying slowest (as Hydra multirun). */
export const gridOf = (space: Space): ReadonlyArray<Assignment> =>
  space.reduce<ReadonlyArray<Assignment>>((combos, [path, s]) => {
    if (s._tag !== "choice") throw new Error(`grid over a range (${path}): a bug, the sweep loader rejects it`)
    return combos.flatMap((combo) => s.values.map((value) => ({ ...combo, [path]: value })))
  }, [{}])

/** How many trials a grid has. */
export const gridSize = (space: Space): number =>
  space.reduce((n, [, s]) => n * (s._tag === "choice" ? s.values.length : Infinity), 1)

const sampleOne = (s: ParamSpace, rng: Rng): ParamValue => {
  if (s._tag === "choice") return s.values[Math.floor(rng.uniform() * s.values.length)]!
  const u = rng.uniform()
  if (s.int) {
    const lo = Math.ceil(s.min)
    const hi = Math.floor(s.max)
    const value = s.log ? Math.exp(Math.log(lo) + u * (Math.log(hi + 1) - Math.log(lo))) : lo + u * (hi + 1 - lo)
    return Math.min(hi, Math.floor(value))
  }
  const value = s.log ? Math.exp(Math.log(s.min) + u * (Math.log(s.max) - Math.log(s.min))) : s.min + u * (s.max - s.min)
  // six significant digits: the value is what the trial's --set and its id show
  return Number(value.toPrecision(6))
}

/**
 * `n` seeded samples of the space: the same seed gives the same trials on every machine.
 * Duplicates (possible with small choice spaces) are kept once, so fewer than `n` may come back.
 */
export const randomOf = (space: Space, n: number, seed: number): ReadonlyArray<Assignment> => {
  // its own stream: a sweep seed of 42 does not replay the weight init of seed 42
  const rng = new Rng(seed, [0x53574550])
  const seen = new Set<string>()
  const out: Array<Assignment> = []
  // a bounded number of draws: a space with fewer than n points ends the search early
  for (let draw = 0; draw < n * 20 && out.length < n; draw++) {
    const assignment = Object.fromEntries(space.map(([path, s]) => [path, sampleOne(s, rng)]))
    const key = JSON.stringify(space.map(([path]) => assignment[path]))
    if (seen.has(key)) continue
    seen.add(key)
    out.push(assignment)
  }
  return out
}
