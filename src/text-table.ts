/** Rows as aligned text columns (two spaces apart, the last column unpadded), one line each. */
export function textTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}

/** A time as the tables show it: ISO 8601 to the second, "-" for none. */
export const tableTime = (d: Date | undefined) => (d ? d.toISOString().replace(/\.\d{3}Z$/, "Z") : "-");

/** Text a table cell or a stored name may hold: no control characters (they would reshape a terminal's output). */
export const hasControlChars = (text: string) => /[\u0000-\u001f\u007f]/.test(text);
