import type { FileSystem, Path } from "@effect/platform"
import type { Progress } from "../progress/Progress.js"
import type { ActiveRun } from "../resume/ActiveRun.js"
import type { Tracker } from "../tracking/Tracker.js"

/** What a stage may ask for: the active run (directory, checkpoints, resume point), the tracker, progress, files. */
export type StageServices =
  | FileSystem.FileSystem
  | Path.Path
  | Progress
  | Tracker
  | ActiveRun
