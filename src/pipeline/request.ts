import type { Override } from "../config/loadConfig.js"
import type { Evaluation } from "../evaluate/evaluate.js"
import type { RunSummary } from "../rundir/files.js"
import type { RunLocation } from "../rundir/RunDirectory.js"
import type { StageRun } from "../stages/runStage.js"

/** What `pipeline run` and `pipeline stage` ask for. */
export interface RunRequest {
  readonly configFile: string
  readonly overrides: ReadonlyArray<Override>
  readonly force: boolean
  readonly forceStages: ReadonlyArray<string>
  readonly dryRun: boolean
  /** `pipeline stage <name>`: upstream from the cache only, this stage forced, nothing after it. */
  readonly only: string | null
}

/** What a finished run reports. */
export interface RunOutcome {
  readonly location: RunLocation | null
  readonly summary: RunSummary | null
  readonly evaluation: Evaluation | null
  readonly stages: Readonly<Record<string, StageRun<unknown>>>
}
