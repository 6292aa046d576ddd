/** Live processes, read from /proc: what the no-orphan checks look at. */
import { readdirSync, readFileSync } from "node:fs"

/** Pids of live processes whose command line mentions `word`. */
export const processesWith = (word: string): Array<number> =>
  readdirSync("/proc").filter((n) => /^\d+$/.test(n)).flatMap((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(word) ? [Number(pid)] : []
    } catch {
      return []
    }
  })

/** Whether a process exists. */
export const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
