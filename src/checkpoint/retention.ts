/** Which checkpoints a periodic save makes obsolete. Pure: the store lists, this decides. */

/** A periodic or emergency checkpoint as retention sees it. */
export interface RetentionCandidate {
  readonly name: string
  readonly kind: "periodic" | "emergency"
  readonly epoch: number | undefined
  readonly step: number
  readonly intact: boolean
}

/** Retention settings of the store. */
export interface RetentionPolicy {
  /** Newest complete periodic checkpoints to keep (at least 1: the one just saved). */
  readonly keepLast: number
  /** Keep every periodic checkpoint whose epoch is a multiple of this; 0 turns milestones off. */
  readonly keepEveryEpochs: number
}

/** A checkpoint to delete and why. */
export interface Removal {
  readonly name: string
  readonly why: string
}

/**
 * After `saved` (a periodic checkpoint, verified complete) is in place: keep the newest `keepLast`
 * intact periodic ones and the milestones; emergency and corrupt periodic checkpoints at or before
 * `saved` are superseded by it. Checkpoints after `saved` (another timeline) are left alone.
 */
export const planRetention = (
  candidates: ReadonlyArray<RetentionCandidate>,
  saved: { readonly name: string; readonly step: number },
  policy: RetentionPolicy
): ReadonlyArray<Removal> => {
  const keepLast = Math.max(1, Math.floor(policy.keepLast))
  const earlier = candidates.filter((c) => c.name !== saved.name && c.step <= saved.step)
  const isMilestone = (c: RetentionCandidate) =>
    policy.keepEveryEpochs > 0 && c.epoch !== undefined && c.epoch % policy.keepEveryEpochs === 0
  // the saved one takes the first of the keepLast places
  const newestIntact = earlier
    .filter((c) => c.kind === "periodic" && c.intact)
    .sort((a, b) => b.step - a.step || (a.name < b.name ? 1 : -1))
    .slice(0, keepLast - 1)
    .map((c) => c.name)
  return earlier.flatMap((c): ReadonlyArray<Removal> => {
    if (c.kind === "emergency") return [{ name: c.name, why: `superseded by ${saved.name}` }]
    if (!c.intact) return [{ name: c.name, why: `corrupt, superseded by ${saved.name}` }]
    if (newestIntact.includes(c.name) || isMilestone(c)) return []
    return [{ name: c.name, why: `older than the newest ${keepLast}` }]
  })
}
