import { Cause, Exit, Option } from "effect"
import type { RunStatus } from "./Tracker.js"

const isInterruptLike = (error: unknown): boolean => {
  if (Cause.isInterruptedException(error)) return true
  if (typeof error !== "object" || error === null) return false
  if ("_tag" in error && (error._tag === "Interrupted" || error._tag === "InterruptedException")) return true
  if ("cause" in error) {
    const inner = error.cause
    if (Cause.isCause(inner)) return Cause.isInterrupted(inner)
    return Cause.isInterruptedException(inner)
  }
  return false
}

/**
 * How a run ended, from the Exit its scope closes with: success; interrupted when the fiber was
 * interrupted (SIGINT/SIGTERM) or failed with an error that wraps an interruption; failed otherwise.
 */
export const statusFromExit = <A, E>(exit: Exit.Exit<A, E>): RunStatus => {
  if (Exit.isSuccess(exit)) return "success"
  const cause = exit.cause
  if (Cause.isInterrupted(cause)) return "interrupted"
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure) && isInterruptLike(failure.value)) return "interrupted"
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect) && isInterruptLike(defect.value)) return "interrupted"
  return "failed"
}
