import { describe, expect, it } from 'vitest';
import { PocError } from '../src/errors.ts';
import { isRetryStoppedError, type RetryStoppedError, retry } from '../src/retry.ts';
import { createRetryBudget } from '../src/retry-budget.ts';

/** A fake clock: sleep() moves time forward at once and records what was asked. */
function fakeClock() {
  let t = 1_000_000;
  const slept: number[] = [];
  return {
    now: () => t,
    slept,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      slept.push(ms);
      t += ms;
    },
  };
}

const flaky = () => new PocError('dependency unavailable', { retriable: true });
const plain = { strategy: 'none', baseMs: 100, capMs: 1_000 } as const;

describe('retry', () => {
  it('retries retriable errors with the backoff delays, then returns the value', async () => {
    const clock = fakeClock();
    let calls = 0;
    const value = await retry(
      async () => {
        calls++;
        if (calls < 4) throw flaky();
        return 'ok';
      },
      { ...clock, maxAttempts: 5, backoff: plain },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(4);
    expect(clock.slept).toEqual([100, 200, 400]);
  });

  it('does not retry an error that is not retriable', async () => {
    const clock = fakeClock();
    let calls = 0;
    const bad = new PocError('validation failed');
    await expect(
      retry(
        async () => {
          calls++;
          throw bad;
        },
        { ...clock, maxAttempts: 5 },
      ),
    ).rejects.toBe(bad);
    expect(calls).toBe(1);
    expect(clock.slept).toEqual([]);
  });

  it('stops after maxAttempts with the last error as cause', async () => {
    const clock = fakeClock();
    let calls = 0;
    const err = await retry(
      async () => {
        calls++;
        throw flaky();
      },
      { ...clock, maxAttempts: 3, backoff: plain },
    ).catch((e: unknown) => e);
    expect(isRetryStoppedError(err)).toBe(true);
    expect((err as RetryStoppedError).reason).toBe('attempts');
    expect((err as RetryStoppedError).attempts).toBe(3);
    expect((err as Error).cause).toBeInstanceOf(PocError);
    expect(calls).toBe(3);
    expect(clock.slept).toEqual([100, 200]);
  });

  it('never sleeps past the deadline: it fails as soon as the next delay would cross it', async () => {
    const clock = fakeClock();
    let calls = 0;
    const err = (await retry(
      async () => {
        calls++;
        throw flaky();
      },
      { ...clock, maxAttempts: 10, backoff: plain, deadlineMs: 750 },
    ).catch((e: unknown) => e)) as RetryStoppedError;
    // 100 + 200 = 300 ms slept; the next delay (400) would end at 700 < 750: allowed;
    // then 800 more would end at 1500 > 750: stop without sleeping.
    expect(clock.slept).toEqual([100, 200, 400]);
    expect(err.reason).toBe('deadline');
    expect(calls).toBe(4);
  });

  it('takes an absolute deadline too, and the earlier one wins', async () => {
    const clock = fakeClock();
    const err = (await retry(
      async () => {
        throw flaky();
      },
      {
        ...clock,
        maxAttempts: 10,
        backoff: plain,
        deadlineMs: 10_000,
        deadline: clock.now() + 250,
      },
    ).catch((e: unknown) => e)) as RetryStoppedError;
    expect(clock.slept).toEqual([100]);
    expect(err.reason).toBe('deadline');
  });

  it('stops on abort, during a real sleep, without another attempt', async () => {
    const controller = new AbortController();
    let calls = 0;
    const started = Date.now();
    const pending = retry(
      async () => {
        calls++;
        if (calls === 1) setTimeout(() => controller.abort(), 20);
        throw flaky();
      },
      {
        signal: controller.signal,
        maxAttempts: 5,
        backoff: { strategy: 'none', baseMs: 5_000, capMs: 5_000 },
      },
    ).catch((e: unknown) => e);
    const err = (await pending) as RetryStoppedError;
    expect(err.reason).toBe('aborted');
    expect(calls).toBe(1);
    // The 5 s sleep was cut short by the abort.
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('does not start when the signal is already aborted', async () => {
    let calls = 0;
    const err = (await retry(
      async () => {
        calls++;
        return 1;
      },
      { signal: AbortSignal.abort() },
    ).catch((e: unknown) => e)) as RetryStoppedError;
    expect(err.reason).toBe('aborted');
    expect(calls).toBe(0);
  });

  it('asks the budget before each retry and stops when it is spent', async () => {
    const clock = fakeClock();
    const budget = createRetryBudget({ maxTokens: 2 });
    let calls = 0;
    const always = async () => {
      calls++;
      throw flaky();
    };
    const reasons: string[] = [];
    for (let i = 0; i < 3; i++) {
      const e = (await retry(always, { ...clock, maxAttempts: 4, backoff: plain, budget }).catch(
        (x: unknown) => x,
      )) as RetryStoppedError;
      reasons.push(e.reason);
    }
    // 3 calls × up to 4 attempts would be 12; the budget allowed 2 retries in all.
    expect(calls).toBe(5);
    expect(reasons).toEqual(['budget', 'budget', 'budget']);
    expect(budget.refused).toBe(3);
  });

  it('deposits into the budget on success', async () => {
    const budget = createRetryBudget({ maxTokens: 5, initialTokens: 0 });
    for (let i = 0; i < 10; i++) await retry(async () => i, { budget });
    expect(budget.tokens).toBe(1);
  });

  it('reports each retry to onRetry', async () => {
    const clock = fakeClock();
    const events: number[][] = [];
    let calls = 0;
    await retry(
      async () => {
        if (++calls < 3) throw flaky();
      },
      { ...clock, backoff: plain, onRetry: (e) => events.push([e.attempt, e.delayMs]) },
    );
    expect(events).toEqual([
      [2, 100],
      [3, 200],
    ]);
  });

  it('tells each attempt how much time is left before the deadline', async () => {
    const clock = fakeClock();
    const remaining: number[] = [];
    await retry(
      async ({ remainingMs }) => {
        remaining.push(remainingMs);
        if (remaining.length < 3) throw flaky();
      },
      { ...clock, backoff: plain, deadlineMs: 1_000 },
    );
    expect(remaining).toEqual([1_000, 900, 700]);
    const unbounded: number[] = [];
    await retry(async ({ remainingMs }) => unbounded.push(remainingMs), clock);
    expect(unbounded).toEqual([Infinity]);
  });

  it('rejects maxAttempts below 1', async () => {
    await expect(retry(async () => 1, { maxAttempts: 0 })).rejects.toThrow(/maxAttempts/);
  });
});
