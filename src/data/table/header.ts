import { didYouMeanSuffix } from "../didYouMean.js"
import { DataColumnMissing, DataFileInvalid } from "../errors.js"
import type { ColumnRequest } from "./Table.js"

/** What the header checks need to know about the file being read. */
export interface HeaderContext {
  readonly file: string
  /** Config path (or flag) that named the file. */
  readonly field: string
  readonly delimiter: string
  /** Config path that sets the delimiter (undefined when the user cannot set it). */
  readonly delimiterField: string | undefined
}

const shown = (delimiter: string): string => (delimiter === "\t" ? "\\t" : delimiter)
const candidates = [",", ";", "\t", "|"]

/**
 * Checks the header row before any data is read: readable text, the delimiter, no duplicate
 * names, and every requested column present; the first problem found is returned.
 */
export const checkHeader = (
  context: HeaderContext,
  header: ReadonlyArray<string>,
  requests: ReadonlyArray<ColumnRequest>
): DataFileInvalid | DataColumnMissing | undefined => {
  const { file, field } = context
  const invalid = (message: string, fix: string) => new DataFileInvalid({ file, field, line: 1, message, fix })
  const garbled = header.find((cell) => cell.includes("\uFFFD"))
  if (garbled !== undefined) {
    return invalid(
      `The header of ${file} is not valid UTF-8 (column '${garbled}' has bytes of another encoding, e.g. Latin-1 or Windows-1252).`,
      `Re-save ${file} as UTF-8 (e.g. \`iconv -f latin1 -t utf-8\`).`
    )
  }
  const found = requests.filter((r) => header.includes(r.column)).length
  if (header.length === 1 && found < requests.length) {
    const other = candidates.find((c) => c !== context.delimiter && header[0]!.includes(c))
    if (other !== undefined) {
      return invalid(
        `${file} has one column '${header[0]}' when split at "${shown(context.delimiter)}", but its header contains "${
          shown(other)
        }": it looks like a "${shown(other)}"-separated file.`,
        context.delimiterField === undefined
          ? `Write ${file} with "${shown(context.delimiter)}" between fields.`
          : `Set ${context.delimiterField}: "${shown(other)}" in the config (or --set ${context.delimiterField}=${
            other === "\t" ? "'\\t'" : other
          }).`
      )
    }
  }
  const firstAt = new Map<string, number>()
  for (const [i, name] of header.entries()) {
    const before = firstAt.get(name)
    if (before !== undefined) {
      return invalid(
        `${file} has two columns named '${name}' (columns ${before + 1} and ${i + 1} of the header), so it is ambiguous which one is meant.`,
        `Rename one of them in the header of ${file}.`
      )
    }
    firstAt.set(name, i)
  }
  for (const request of requests) {
    if (header.includes(request.column)) continue
    return new DataColumnMissing({
      file,
      field: request.field,
      column: request.column,
      available: header,
      message: `${file} has no column '${request.column}' (${request.field}); its columns are ${
        header.map((name) => `'${name}'`).join(", ")
      }.${didYouMeanSuffix(request.column, header)}`,
      fix: `Set ${request.field} to one of the columns in the header of ${file}.`
    })
  }
  return undefined
}
