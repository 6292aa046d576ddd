import { Either } from "effect"
import { didYouMeanSuffix } from "../data/didYouMean.js"
import { DataConfigInvalid } from "../data/errors.js"

/** Which series to forecast: their index in the model and in the input, and the input's others. */
export interface SeriesSelection {
  /** The series to forecast, in the order asked for (or the model's order). */
  readonly chosen: ReadonlyArray<{ readonly id: string; readonly model: number; readonly input: number }>
  /** Series of the input the model was not trained on; not forecast. */
  readonly skipped: ReadonlyArray<string>
}

const FIELD = "--series"
const SHOWN = 10

const listed = (ids: ReadonlyArray<string>): string =>
  `${ids.slice(0, SHOWN).map((id) => `'${id}'`).join(", ")}${ids.length > SHOWN ? ` and ${ids.length - SHOWN} more` : ""}`

/** The ids of `--series` values: repeated flags and comma lists, trimmed, without repeats. */
export const parseSeriesFlag = (values: ReadonlyArray<string>): Array<string> => [
  ...new Set(values.flatMap((value) => value.split(",")).map((id) => id.trim()).filter((id) => id !== ""))
]

/**
 * The series `pipeline predict` forecasts: those asked for with `--series` (each must be one the
 * model was trained on, and in the input), else every series of the model the input has.
 */
export const selectSeries = (
  modelIds: ReadonlyArray<string>,
  inputIds: ReadonlyArray<string>,
  requested: ReadonlyArray<string>,
  input: string
): Either.Either<SeriesSelection, DataConfigInvalid> => {
  const inModel = new Map(modelIds.map((id, i) => [id, i]))
  const inInput = new Map(inputIds.map((id, i) => [id, i]))
  for (const id of requested) {
    if (inModel.has(id)) continue
    return Either.left(
      new DataConfigInvalid({
        file: input,
        field: FIELD,
        message: `The model has no series '${id}'; it was trained on ${modelIds.length} series: ${listed(modelIds)}.${
          didYouMeanSuffix(id, modelIds)
        }`,
        fix: `Pass --series with ids the model was trained on (e.g. --series ${modelIds[0]}), or leave it out to forecast every series.`
      })
    )
  }
  const wanted = requested.length > 0 ? requested : modelIds.filter((id) => inInput.has(id))
  const absent = wanted.find((id) => !inInput.has(id))
  if (absent !== undefined || wanted.length === 0) {
    return Either.left(
      new DataConfigInvalid({
        file: input,
        field: absent === undefined ? "--input" : FIELD,
        message: absent === undefined
          ? `${input} has none of the ${modelIds.length} series the model was trained on (${listed(modelIds)}); its series are ${listed(inputIds)}.`
          : `${input} has no rows of series '${absent}'; its series are ${listed(inputIds)}.${didYouMeanSuffix(absent, inputIds)}`,
        fix: absent === undefined
          ? "Give an input with rows of the model's series (the same ids as in training)."
          : `Add the recent rows of series '${absent}' to the input, or leave it out of --series.`
      })
    )
  }
  return Either.right({
    chosen: wanted.map((id) => ({ id, model: inModel.get(id)!, input: inInput.get(id)! })),
    skipped: requested.length > 0 ? [] : inputIds.filter((id) => !inModel.has(id))
  })
}
