import { NodeContext } from "@effect/platform-node"
import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fitScaler } from "../../src/data/scaler.js"
import { readCsvTable } from "../../src/data/table/readCsvTable.js"

const csvFile = (text: string): string => {
  const file = join(mkdtempSync(join(tmpdir(), "lstm-table-")), "data.csv")
  writeFileSync(file, text)
  return file
}

const spec = (file: string) => ({
  file,
  field: "data.source.path",
  delimiter: ",",
  delimiterField: "data.source.delimiter",
  columns: [
    { column: "t", field: "data.source.time_column", kind: "time" as const },
    { column: "y", field: "data.source.target_column", kind: "numeric" as const },
    { column: "id", field: "series column", kind: "categorical" as const }
  ]
})

layer(NodeContext.layer)("CSV table", (it) => {
  it.effect("streams only the requested columns into typed arrays, strings as codes + dictionary, with file lines", () =>
    Effect.gen(function*() {
      const file = csvFile("t,unused,y,id\n2000-01-01,x,1.5,a\n\n2000-01-02,x,2.5,b\n2000-01-03,x,-3,a\n")
      const table = yield* readCsvTable(spec(file))
      expect(table.rows).toBe(3)
      expect([...table.lines]).toEqual([2, 4, 5])
      expect([...table.columns.keys()]).toEqual(["t", "y", "id"])
      const y = table.columns.get("y")
      expect(y?.kind === "numeric" && [...y.values]).toEqual([1.5, 2.5, -3])
      const t = table.columns.get("t")
      expect(t?.kind === "time" && t.timeKind).toBe("date")
      expect(t?.kind === "time" && t.values[1]! - t.values[0]!).toBe(86_400_000)
      const id = table.columns.get("id")
      expect(id?.kind === "categorical" && [...id.codes]).toEqual([0, 1, 0])
      expect(id?.kind === "categorical" && id.dictionary).toEqual(["a", "b"])
    }))

  it.effect("the first bad cell stops the read, named by line and column", () =>
    Effect.gen(function*() {
      const rows = Array.from({ length: 5000 }, (_, i) => `${i},${i === 3000 ? "oops" : i},s`)
      const error = yield* Effect.flip(readCsvTable({
        ...spec(csvFile(["t,y,id", ...rows].join("\n"))),
        columns: spec("").columns.slice(1)
      }))
      expect(error._tag).toBe("DataValueInvalid")
      expect(error.message).toContain("Row 3002 of")
      expect(error.message).toContain("column 'y'")
    }))
})

layer(NodeContext.layer)("scaler", (it) => {
  it.effect("standard statistics stay finite for values near the float64 limit", () =>
    Effect.sync(() => {
      const values = Float64Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 1e308 : -1e308))
      const scaler = fitScaler("standard", values, values.length)
      expect(scaler.center).toBe(0)
      expect(scaler.scale).toBeCloseTo(1e308, -300)
      // a range of 2e308 has no float64: reported as non-finite for the caller to refuse
      expect(fitScaler("minmax", values, values.length).scale).toBe(Number.POSITIVE_INFINITY)
      expect(fitScaler("minmax", Float64Array.of(-1e300, 1e300), 2).scale).toBe(2e300)
      expect(fitScaler("standard", Float64Array.of(1, 2, Number.POSITIVE_INFINITY), 3).scale).toBeNaN()
    }))
})
