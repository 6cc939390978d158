/**
 * Tables people read in a terminal: what console.table shows, as plain aligned text
 * within a width (100 columns by default). Rows as given when they fit; else transposed
 * (one column per row, as a before/after comparison reads best); else the columns are
 * split over several tables, each repeating the row labels.
 */

/** Named rows ({ baseline: {...}, broken: {...} }), or a list whose first field names each row. */
export type TableRows = Record<string, object> | readonly object[];

interface Grid {
  corner: string;
  labels: string[];
  columns: string[];
  /** cells[row][column] */
  cells: string[][];
}

const GAP = '  ';

export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  return String(value);
}

type Row = Record<string, unknown>;

function toGrid(input: TableRows): Grid {
  if (Array.isArray(input)) {
    const rows = input as Row[];
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const [corner = '', ...rest] = columns;
    return {
      corner,
      labels: rows.map((r) => formatCell(r[corner])),
      columns: rest,
      cells: rows.map((r) => rest.map((c) => formatCell(r[c]))),
    };
  }
  const entries = Object.entries(input as Record<string, Row>);
  const columns = [...new Set(entries.flatMap(([, r]) => Object.keys(r)))];
  return {
    corner: '',
    labels: entries.map(([label]) => label),
    columns,
    cells: entries.map(([, r]) => columns.map((c) => formatCell(r[c]))),
  };
}

function transpose(grid: Grid): Grid {
  return {
    corner: grid.corner,
    labels: grid.columns,
    columns: grid.labels,
    cells: grid.columns.map((_, c) => grid.labels.map((_, r) => grid.cells[r]![c]!)),
  };
}

const labelWidth = (grid: Grid) =>
  Math.max(grid.corner.length, ...grid.labels.map((l) => l.length));
const columnWidth = (grid: Grid, c: number) =>
  Math.max(grid.columns[c]!.length, ...grid.cells.map((row) => row[c]!.length));
const width = (grid: Grid) =>
  grid.columns.reduce((sum, _, c) => sum + GAP.length + columnWidth(grid, c), labelWidth(grid));

function render(grid: Grid): string[] {
  const lw = labelWidth(grid);
  const widths = grid.columns.map((_, c) => columnWidth(grid, c));
  const line = (label: string, cells: string[]) =>
    (label.padEnd(lw) + cells.map((cell, c) => GAP + cell.padStart(widths[c]!)).join('')).trimEnd();
  return [line(grid.corner, grid.columns), ...grid.labels.map((l, r) => line(l, grid.cells[r]!))];
}

/** Split the columns into consecutive groups that each fit within maxWidth. */
function split(grid: Grid, maxWidth: number): Grid[] {
  const groups: number[][] = [];
  let current: number[] = [];
  let used = labelWidth(grid);
  grid.columns.forEach((_, c) => {
    const w = GAP.length + columnWidth(grid, c);
    if (current.length > 0 && used + w > maxWidth) {
      groups.push(current);
      current = [];
      used = labelWidth(grid);
    }
    current.push(c);
    used += w;
  });
  if (current.length > 0) groups.push(current);
  return groups.map((cols) => ({
    ...grid,
    columns: cols.map((c) => grid.columns[c]!),
    cells: grid.cells.map((row) => cols.map((c) => row[c]!)),
  }));
}

export function formatTable(rows: TableRows, { maxWidth = 100 } = {}): string {
  const grid = toGrid(rows);
  if (width(grid) <= maxWidth) return render(grid).join('\n');
  const flipped = transpose(grid);
  if (width(flipped) <= maxWidth) return render(flipped).join('\n');
  // Split whichever way needs fewer tables (ties: rows as given).
  const [a, b] = [split(grid, maxWidth), split(flipped, maxWidth)];
  const parts = b.length < a.length ? b : a;
  return parts.map((part) => render(part).join('\n')).join('\n\n');
}

/** console.table for breaks and benches: fits 100 columns, no quotes around strings. */
export function printTable(
  rows: TableRows,
  { maxWidth = 100, print = (line: string) => console.log(line) } = {},
): void {
  print(formatTable(rows, { maxWidth }));
}
