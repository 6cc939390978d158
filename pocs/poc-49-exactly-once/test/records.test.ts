import { describe, expect, it } from 'vitest';
import {
  decodeRecord,
  encodeRecord,
  type SeqRecord,
  seedLayout,
  summarizeOutput,
  transformValue,
} from '../src/records.ts';

const run = (p: number, ...seqs: number[]): SeqRecord[] => seqs.map((seq) => ({ p, seq }));

describe('sequence records', () => {
  it('round-trips and the transform keeps partition and seq', () => {
    const value = encodeRecord({ p: 2, seq: 41 });
    expect(decodeRecord(value)).toEqual({ p: 2, seq: 41 });
    expect(JSON.parse(transformValue(Buffer.from(value)))).toEqual({ p: 2, seq: 41, copied: true });
    expect(() => decodeRecord('{"p":1}')).toThrow('not a sequence record');
  });

  it('lays messages out round-robin', () => {
    expect(seedLayout(10, 3)).toEqual([4, 3, 3]);
    expect(seedLayout(10_000, 3)).toEqual([3334, 3333, 3333]);
  });
});

describe('summarizeOutput', () => {
  it('an exact copy has 0 duplicates, 0 missing, every partition in order', () => {
    const s = summarizeOutput(
      [3, 2],
      new Map([
        [0, run(0, 0, 1, 2)],
        [1, run(1, 0, 1)],
      ]),
    );
    expect(s).toEqual({
      records: 5,
      unique: 5,
      duplicates: 0,
      missing: 0,
      orderViolations: 0,
      misplaced: 0,
      exactPartitions: 2,
    });
  });

  it('a replay after a crash counts its duplicates and the order break', () => {
    // Copied 0..2, crashed before committing offsets, restarted from 1.
    const s = summarizeOutput([4], new Map([[0, run(0, 0, 1, 2, 1, 2, 3)]]));
    expect(s.duplicates).toBe(2);
    expect(s.missing).toBe(0);
    expect(s.orderViolations).toBe(1);
    expect(s.exactPartitions).toBe(0);
  });

  it('counts missing messages and records in the wrong partition', () => {
    const s = summarizeOutput(
      [3, 1],
      new Map([
        [0, run(0, 0, 2)],
        [1, run(0, 1)],
      ]),
    );
    expect(s.missing).toBe(1);
    expect(s.misplaced).toBe(1);
    expect(s.exactPartitions).toBe(0);
  });
});
