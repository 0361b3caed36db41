/** Plain aligned text tables for the terminal (and to paste into RESULTS.md as code blocks). */
export type Cell = string | number;

function show(cell: Cell): string {
  if (typeof cell === 'string') return cell;
  if (!Number.isFinite(cell)) return '-';
  if (Number.isInteger(cell)) return cell.toLocaleString('en-US');
  return Math.abs(cell) >= 100 ? Math.round(cell).toLocaleString('en-US') : cell.toFixed(2);
}

export function table(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const text = [headers.map(String), ...rows.map((row) => row.map(show))];
  const widths = headers.map((_, column) => Math.max(...text.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(text[0] ?? []), widths.map((width) => '-'.repeat(width)).join('  '), ...text.slice(1).map(line)].join('\n');
}

export function formatCounts(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? 'none' : entries.map(([cause, count]) => `${cause}: ${count}`).join(', ');
}
