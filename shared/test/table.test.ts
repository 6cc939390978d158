import { describe, expect, it } from 'vitest';
import { formatTable } from '../src/table.ts';

describe('formatTable', () => {
  it('prints named rows as given when they fit: labels left, values right, - for missing', () => {
    const text = formatTable({
      baseline: { pool: 4, 'p99 ms': 48.5, note: 'ok' },
      broken: { pool: 1, 'p99 ms': 995 },
    });
    expect(text.split('\n')).toEqual([
      '          pool  p99 ms  note',
      'baseline     4    48.5    ok',
      'broken       1     995     -',
    ]);
  });

  it('takes a list whose first field names each row', () => {
    const text = formatTable([
      { signal: 'SIGKILL', redelivered: 37 },
      { signal: 'SIGTERM', redelivered: 0 },
    ]);
    expect(text.split('\n')).toEqual([
      'signal   redelivered',
      'SIGKILL           37',
      'SIGTERM            0',
    ]);
  });

  it('transposes a table too wide for maxWidth: one column per row', () => {
    const text = formatTable(
      {
        a: { 'first metric': 1, 'second metric': 2 },
        b: { 'first metric': 3, 'second metric': 4 },
      },
      { maxWidth: 25 },
    );
    expect(text.split('\n')).toEqual([
      '               a  b',
      'first metric   1  3',
      'second metric  2  4',
    ]);
  });

  it('splits the columns over several tables when neither way fits, each within maxWidth', () => {
    const row = (n: number) =>
      Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`column ${i}`, n * 1_000_000 + i]));
    const rows = Object.fromEntries(Array.from({ length: 8 }, (_, r) => [`run ${r}`, row(r)]));
    const text = formatTable(rows, { maxWidth: 40 });
    const lines = text.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(40);
    const tables = text.split('\n\n');
    expect(tables).toHaveLength(3);
    expect(tables.map((t) => t.split('\n')[0])).toEqual([
      '       column 0  column 1  column 2',
      '       column 3  column 4  column 5',
      '       column 6  column 7',
    ]);
    expect(tables[2]!.split('\n')[8]).toBe('run 7   7000006   7000007');
  });
});
