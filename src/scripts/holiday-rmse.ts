/**
 * RMSE of a run's test forecasts on the days within one day of a major US holiday and on the
 * rest: `npx vite-node src/scripts/holiday-rmse.ts runs/us-births/<run> [more runs…]`.
 */
import { Either } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { type DatedForecast, holidaySplitRmse, majorUsHolidays } from "../eval/holidayErrors.js"

const readForecasts = (runDir: string): Array<DatedForecast> => {
  const [header, ...lines] = readFileSync(join(runDir, "predictions", "test.csv"), "utf8").trim().split("\n")
  const names = header!.split(",")
  const [time, actual, predicted] = ["time", "actual", "predicted"].map((n) => names.indexOf(n))
  return lines.map((line) => {
    const cells = line.split(",")
    return { time: cells[time!]!, actual: Number(cells[actual!]), predicted: Number(cells[predicted!]) }
  })
}

for (const runDir of process.argv.slice(2)) {
  const result = holidaySplitRmse(readForecasts(runDir), "US", majorUsHolidays, 1)
  if (Either.isLeft(result)) throw new Error(result.left.message)
  const { near, rest, nearShareOfSquaredError } = result.right
  const total = Math.sqrt((near.sse + rest.sse) / (near.count + rest.count))
  console.log(
    `${runDir}: test RMSE ${total.toFixed(1)}; holiday±1 ${near.rmse.toFixed(1)} (${near.count} days, ${
      (100 * nearShareOfSquaredError).toFixed(0)
    }% of the squared error); rest ${rest.rmse.toFixed(1)} (${rest.count} days)`
  )
}
