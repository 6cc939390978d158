import { describe, expect, it } from 'vitest';
import {
  EmptySampleError,
  isEmptySampleError,
  max,
  mean,
  median,
  medianOfFields,
  min,
  nearestRankIndex,
  percentile,
  percentileOrNull,
  QuantileRangeError,
  sortAsc,
} from '../src/stats.ts';

// 1..100 shuffled deterministically: the nearest-rank percentile q is the value ceil(100q).
const hundred = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);

describe('percentile (nearest rank)', () => {
  it('returns the sample at rank ceil(q·n) of 1..100', () => {
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile(hundred, 0.9)).toBe(90);
    expect(percentile(hundred, 0.99)).toBe(99);
    expect(percentile(hundred, 0.999)).toBe(100);
    expect(percentile(hundred, 0.991)).toBe(100);
  });

  it('p0 is the minimum and p100 the maximum', () => {
    expect(percentile([7, 3, 9], 0)).toBe(3);
    expect(percentile([7, 3, 9], 1)).toBe(9);
  });

  it('never interpolates: p50 of an even count is the lower middle sample', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.51)).toBe(3);
    expect(percentile([10, 20], 0.75)).toBe(20);
  });

  it('of one value is that value for every q', () => {
    expect([0, 0.01, 0.5, 0.99, 1].map((q) => percentile([42], q))).toEqual([42, 42, 42, 42, 42]);
  });

  it('trusts { sorted: true } and does not reorder its input', () => {
    const input = [3, 1, 2];
    expect(percentile(input, 1)).toBe(3);
    expect(input).toEqual([3, 1, 2]);
    expect(percentile([1, 2, 3], 0.34, { sorted: true })).toBe(2);
  });

  it('throws EmptySampleError on no values, and percentileOrNull answers null', () => {
    expect(() => percentile([], 0.99)).toThrow(EmptySampleError);
    expect(() => percentile([], 0.99)).toThrow('percentile 0.99 of an empty sample (0 values)');
    expect(percentileOrNull([], 0.99)).toBeNull();
    expect(percentileOrNull([5, 1], 0.99)).toBe(5);
  });

  it('rejects a quantile outside [0, 1] (99 instead of 0.99)', () => {
    expect(() => percentile([1], 99)).toThrow(QuantileRangeError);
    expect(() => percentile([1], -0.1)).toThrow('quantile must be between 0 and 1');
    expect(() => percentile([1], Number.NaN)).toThrow(QuantileRangeError);
  });

  it('nearestRankIndex is the clamped 0-based index', () => {
    expect([0, 0.1, 0.5, 0.99, 1].map((q) => nearestRankIndex(10, q))).toEqual([0, 0, 4, 9, 9]);
  });
});

describe('median, mean, min, max', () => {
  it('median is the middle value, or the mean of the two middle values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('mean, min and max of a sample', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(min([3, -1, 2])).toBe(-1);
    expect(max([3, -1, 2])).toBe(3);
  });

  it('min and max handle more values than fit in an argument list', () => {
    const many = Array.from({ length: 300_000 }, (_, i) => i);
    expect(min(many)).toBe(0);
    expect(max(many)).toBe(299_999);
  });

  it('each throws a named EmptySampleError on no values', () => {
    for (const f of [median, mean, min, max]) {
      let caught: unknown;
      try {
        f([]);
      } catch (err) {
        caught = err;
      }
      expect(isEmptySampleError(caught)).toBe(true);
      expect((caught as Error).name).toBe('EmptySampleError');
    }
  });

  it('sortAsc sorts numerically into a new array', () => {
    const input = [10, 9, 100, 1];
    expect(sortAsc(input)).toEqual([1, 9, 10, 100]);
    expect(input).toEqual([10, 9, 100, 1]);
  });
});

describe('medianOfFields', () => {
  it('takes the median of each numeric field and keeps the rest from the first round', () => {
    const rounds = [
      { mode: 'a', ms: 30, count: 1 },
      { mode: 'b', ms: 10, count: 4 },
      { mode: 'c', ms: 20, count: 2 },
      { mode: 'd', ms: 40, count: 3 },
    ];
    expect(medianOfFields(rounds)).toEqual({ mode: 'a', ms: 25, count: 2.5 });
  });

  it('throws EmptySampleError without rounds', () => {
    expect(() => medianOfFields([])).toThrow(EmptySampleError);
  });
});
