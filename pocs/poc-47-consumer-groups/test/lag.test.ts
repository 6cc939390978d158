import { describe, expect, it } from 'vitest';
import { computeLag } from '../src/lag.ts';

describe('computeLag', () => {
  it('is end offset minus committed offset, per partition, sorted', () => {
    const lag = computeLag(
      [
        { partition: 1, high: '50', low: '0' },
        { partition: 0, high: '100', low: '0' },
      ],
      [
        { partition: 0, offset: '60' },
        { partition: 1, offset: '50' },
      ],
    );
    expect(lag).toEqual([
      { partition: 0, end: 100, committed: 60, lag: 40 },
      { partition: 1, end: 50, committed: 50, lag: 0 },
    ]);
  });

  it('counts a never-committed partition from the log start, not from 0', () => {
    const lag = computeLag(
      [{ partition: 0, high: '120', low: '20' }],
      [{ partition: 0, offset: '-1' }],
    );
    expect(lag).toEqual([{ partition: 0, end: 120, committed: -1, lag: 100 }]);
  });
});
