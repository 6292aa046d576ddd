/** Plain-text table: columns padded to their widest cell, numbers (and dashes) right-aligned. */
export const renderTable = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const numeric = header.map((_, i) =>
    rows.length > 0 && rows.every((r) => /^(—|-?[\d.,]+(e[+-]?\d+)?%?\*?|NaN|-?Infinity)$/.test(r[i] ?? "—"))
  )
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd()
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n")
}

/** A number as a table shows it: 4 significant digits, exponent when tiny or huge, "—" when missing. */
export const formatValue = (value: string | number | boolean | null | undefined): string => {
  if (value === null || value === undefined) return "—"
  if (typeof value !== "number") return String(value)
  if (!Number.isFinite(value)) return String(value)
  if (Number.isInteger(value)) return String(value)
  const abs = Math.abs(value)
  return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? value.toExponential(2) : String(Number(value.toPrecision(4)))
}
