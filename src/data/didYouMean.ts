/** Edit distance (insertions, deletions, substitutions) between two strings, case-sensitive. */
export const levenshtein = (a: string, b: string): number => {
  if (a === b) return 0
  if (a.length === 0) return b.length
  if (b.length === 0) return a.length
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution))
    }
    previous = current
  }
  return previous[b.length]!
}

/**
 * The candidate closest to `input` if it is a plausible typo: within an edit distance of a third
 * of the longer name (at least 1), case-insensitive; failing that, a candidate that starts with
 * the input or that the input starts with (at least 3 characters shared), e.g. promotion → promo.
 */
export const didYouMean = (input: string, candidates: Iterable<string>): string | undefined => {
  const needle = input.toLowerCase()
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  let prefix: string | undefined
  for (const candidate of candidates) {
    const name = candidate.toLowerCase()
    const distance = levenshtein(needle, name)
    const allowed = Math.max(1, Math.floor(Math.max(needle.length, name.length) / 3))
    if (distance <= allowed && distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
    const shared = Math.min(needle.length, name.length)
    if (prefix === undefined && shared >= 3 && (name.startsWith(needle) || needle.startsWith(name))) {
      prefix = candidate
    }
  }
  return best ?? prefix
}

/** `" Did you mean 'x'?"` when a close candidate exists, otherwise the empty string. */
export const didYouMeanSuffix = (input: string, candidates: Iterable<string>): string => {
  const suggestion = didYouMean(input, candidates)
  return suggestion === undefined ? "" : ` Did you mean '${suggestion}'?`
}
