import type { RunInfo } from "../../src/tracking/Tracker.js"

/** A tracker's RunInfo for a test run in `runDir`: experiment births, run r1, no params, unless overridden. */
export const runInfo = (runDir: string, overrides: Partial<RunInfo> = {}): RunInfo => ({
  experiment: "births",
  runName: "r1",
  runDir,
  params: {},
  configText: "",
  tags: [],
  resumed: false,
  ...overrides
})
