import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRetryBudget, depositTokens, withdrawToken } from '../src/retry-budget.ts';

describe('retry budget maths', () => {
  it('deposits 0.1 per success exactly, up to the cap', () => {
    let tokens = 0;
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) {
      tokens = depositTokens(tokens, 0.1, 1);
      seen.push(tokens);
    }
    expect(seen).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1, 1]);
  });

  it('a retry spends one whole token and is refused below one', () => {
    expect(withdrawToken(2.3)).toBe(1.3);
    expect(withdrawToken(1)).toBe(0);
    expect(withdrawToken(0.9999)).toBeNull();
  });

  it('follows an exact sequence of successes and retries', () => {
    const budget = createRetryBudget({ ratio: 0.1, maxTokens: 2, initialTokens: 1 });
    const trace: (boolean | number)[] = [];
    trace.push(budget.tryRetry(), budget.tokens); // true, 0
    trace.push(budget.tryRetry(), budget.tokens); // false, 0
    for (let i = 0; i < 10; i++) budget.recordSuccess();
    trace.push(budget.tokens); // 1
    trace.push(budget.tryRetry(), budget.tryRetry(), budget.tokens); // true, false, 0
    expect(trace).toEqual([true, 0, false, 0, 1, true, false, 0]);
    expect(budget.refused).toBe(2);
  });

  it('rejects a budget that could never allow a retry', () => {
    expect(() => createRetryBudget({ maxTokens: 0 })).toThrow(/maxTokens ≥ 1/);
    expect(() => createRetryBudget({ maxTokens: 5, initialTokens: 6 })).toThrow(/initialTokens/);
  });
});

describe('retry budget properties', () => {
  it('retries granted never exceed ratio × successes + the initial tokens', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { maxLength: 2_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 50 }),
        (events, ratio, maxTokens) => {
          const budget = createRetryBudget({ ratio, maxTokens });
          let successes = 0;
          let granted = 0;
          for (const success of events) {
            if (success) {
              budget.recordSuccess();
              successes++;
            } else if (budget.tryRetry()) granted++;
          }
          return granted <= ratio * successes + maxTokens + 1e-6 && budget.tokens <= maxTokens;
        },
      ),
    );
  });

  it('under total failure the retry rate stays ≤ ratio + ε of the calls', () => {
    // Every call fails and asks to retry: only the initial tokens are ever granted.
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000, max: 20_000 }),
        fc.integer({ min: 1, max: 10 }),
        (calls, maxTokens) => {
          const budget = createRetryBudget({ ratio: 0.1, maxTokens });
          let granted = 0;
          for (let i = 0; i < calls; i++) if (budget.tryRetry()) granted++;
          return granted === maxTokens && granted / calls <= 0.1 + 0.01;
        },
      ),
    );
  });

  it('under partial failure retries track ratio × successes', () => {
    // 50% of calls fail: the budget lets ~10% of the successes' worth of retries through.
    const budget = createRetryBudget({ ratio: 0.1, maxTokens: 10, initialTokens: 0 });
    let granted = 0;
    for (let i = 0; i < 10_000; i++) {
      if (i % 2 === 0) budget.recordSuccess();
      else if (budget.tryRetry()) granted++;
    }
    expect(granted).toBe(500);
  });
});
