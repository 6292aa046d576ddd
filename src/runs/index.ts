/** Runs on disk: list them, compare them, render plain-text tables. */
export { type Comparison, compareRuns, renderComparison, renderRunList, sortValue } from "./compareRuns.js"
export { type Flat, listRuns, readRun, type RunEntry } from "./listRuns.js"
export { RunsError } from "./RunsError.js"
export { formatValue, renderTable } from "./table.js"
