import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey, toPositive } from '../src/partition.ts';

describe('murmur2 key → partition', () => {
  it("matches the Java client's murmur2 (Kafka's UtilsTest vectors)", () => {
    const vectors: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) expect(murmur2(Buffer.from(key)), key).toBe(hash);
  });

  it('toPositive clears the sign bit (Math.abs would fail for -2^31)', () => {
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(-1)).toBe(2147483647);
  });

  it('is stable per key and moves most keys when the partition count changes', () => {
    const keys = Array.from({ length: 1_000 }, (_, i) => `customer-${i}`);
    const six = keys.map((k) => partitionForKey(k, 6));
    expect(keys.map((k) => partitionForKey(k, 6))).toEqual(six);
    for (let p = 0; p < 6; p++) expect(six.filter((x) => x === p).length).toBeGreaterThan(100);
    const eight = keys.map((k) => partitionForKey(k, 8));
    const moved = keys.filter((_, i) => six[i] !== eight[i]).length;
    expect(moved).toBeGreaterThan(500);
    expect(() => partitionForKey('x', 0)).toThrow(RangeError);
  });
});
