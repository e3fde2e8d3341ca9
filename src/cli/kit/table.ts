// Markdown tables aligned for a terminal: every cell padded to its column's width (numbers to the right
// where the separator row says `---:`), so the output reads as a table in a terminal and pastes into a
// Markdown file unchanged (it is what a Markdown formatter would write). Used by `hgcm bench` and the
// stress harness's mutation table.

/** Cells of a pipe-table row; `\|` inside a cell is kept. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim());
}

const isRow = (line: string): boolean => /^\s*\|.*\|\s*$/.test(line);
const isSeparator = (cs: readonly string[]): boolean => cs.every((c) => /^:?-+:?$/.test(c));

/** One table (its lines, all rows) aligned. */
function alignOne(lines: readonly string[]): string[] {
  const rows = lines.map(cells);
  const cols = Math.max(...rows.map((r) => r.length));
  const sep = rows.findIndex(isSeparator);
  const right = Array.from({ length: cols }, (_, i) => sep >= 0 && (rows[sep]![i] ?? '').endsWith(':'));
  const width = Array.from({ length: cols }, (_, i) =>
    Math.max(3, ...rows.map((r, k) => (k === sep ? 3 : (r[i] ?? '').length))),
  );
  return rows.map((r, k) => {
    const out = width.map((w, i) => {
      if (k === sep) return right[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w);
      const c = r[i] ?? '';
      return right[i] ? c.padStart(w) : c.padEnd(w);
    });
    return `| ${out.join(' | ')} |`;
  });
}

/** Align every pipe table in `text` (runs of lines that start and end with `|`); other lines stay. */
export function alignTables(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length;) {
    if (!isRow(lines[i]!)) {
      out.push(lines[i++]!);
      continue;
    }
    let j = i;
    while (j < lines.length && isRow(lines[j]!)) j++;
    out.push(...alignOne(lines.slice(i, j)));
    i = j;
  }
  return out.join('\n');
}
