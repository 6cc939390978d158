import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../src/experiments/backoff.ts';

describe('client backoff', () => {
  const options = { baseMs: 20, capMs: 500 };
  it('doubles the ceiling per attempt and never exceeds the cap', () => {
    const top = () => 0.999_999;
    expect([0, 1, 2, 3, 4, 5, 10].map((a) => backoffDelayMs(a, options, top))).toEqual([
      19, 39, 79, 159, 319, 499, 499,
    ]);
  });
  it('is full jitter: a random draw of 0 waits 0 ms, 0.5 waits half the ceiling', () => {
    expect(backoffDelayMs(3, options, () => 0)).toBe(0);
    expect(backoffDelayMs(3, options, () => 0.5)).toBe(80);
  });
});
