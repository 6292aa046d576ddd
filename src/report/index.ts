/** The run report: plots from a run directory's files, and report.html. */
export { reportHtml } from "./html.js"
export { bestEpochOf, forecastSpec, lossSpec } from "./plots.js"
export { renderPng } from "./render.js"
export { ReportError } from "./ReportError.js"
export { writeReport } from "./writeReport.js"
