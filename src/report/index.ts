/** The run report: plots from a run directory's files, and report.html. */
export { reportHtml } from "./html.js"
export { forecastSpec, horizonSpec, lastWeeks, seriesErrorSpec, seriesForecastSpec } from "./forecastPlots.js"
export { bestEpochOf, lossSpec } from "./plots.js"
export { renderPng } from "./render.js"
export { ReportError } from "./ReportError.js"
export { writeReport } from "./writeReport.js"
