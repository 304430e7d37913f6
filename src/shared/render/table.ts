/**
 * Plain-text tables for a terminal: columns padded to their widest cell, the last column left ragged.
 * Every CLI table goes through here.
 */
export function renderTable(
  rows: readonly (readonly string[])[],
  options: { rule?: boolean } = {},
): string[] {
  const [head, ...body] = rows;
  if (!head) return [];
  const widths = head.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? "").length)));
  const line = (r: readonly string[]): string =>
    r
      .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return options.rule ? [line(head), rule, ...body.map(line), rule] : [line(head), ...body.map(line)];
}

/** A table as one string ending in a newline, or `empty` when there are no rows below the header. */
export function tableText(rows: readonly (readonly string[])[], empty = "Nothing to show.\n"): string {
  return rows.length <= 1 ? empty : `${renderTable(rows).join("\n")}\n`;
}
