import { describe, expect, it } from 'vitest';
import { createPool, poolTimeoutDefaults, resolvePoolTimeouts } from '../src/pool.ts';

describe('resolvePoolTimeouts', () => {
  it('bounds everything by default, the client 1 s above the server', () => {
    expect(resolvePoolTimeouts({ acquireTimeoutMs: 2_000 })).toEqual({
      acquireTimeoutMs: 2_000,
      statementTimeoutMs: 5_000,
      queryTimeoutMs: 6_000,
      keepAliveInitialDelayMs: 10_000,
    });
    expect(poolTimeoutDefaults.queryTimeoutMarginMs).toBe(1_000);
  });

  it('derives the client bound from a statement timeout the POC sets', () => {
    expect(resolvePoolTimeouts({ acquireTimeoutMs: 1, statementTimeoutMs: 30_000 })).toMatchObject({
      statementTimeoutMs: 30_000,
      queryTimeoutMs: 31_000,
    });
  });

  it('keeps a client bound when the server-side one is off', () => {
    expect(resolvePoolTimeouts({ acquireTimeoutMs: 1, statementTimeoutMs: 0 })).toMatchObject({
      statementTimeoutMs: 0,
      queryTimeoutMs: 6_000,
    });
  });

  it('takes explicit values as given, 0 meaning off', () => {
    expect(
      resolvePoolTimeouts({
        acquireTimeoutMs: 1_000,
        statementTimeoutMs: 0,
        queryTimeoutMs: 0,
        keepAliveInitialDelayMs: 0,
      }),
    ).toEqual({
      acquireTimeoutMs: 1_000,
      statementTimeoutMs: 0,
      queryTimeoutMs: 0,
      keepAliveInitialDelayMs: 0,
    });
  });

  it('rejects negative and fractional values, naming each', () => {
    expect(() =>
      resolvePoolTimeouts({ acquireTimeoutMs: 1, statementTimeoutMs: -1, queryTimeoutMs: 1.5 }),
    ).toThrow(
      'pool timeouts must be whole ms ≥ 0 (0 = off): statementTimeoutMs=-1, queryTimeoutMs=1.5',
    );
  });

  it('is what a pool applies', async () => {
    // pg connects lazily: this pool never opens a connection.
    const pool = createPool({
      connectionString: 'postgres://unused@127.0.0.1:1/unused',
      max: 1,
      acquireTimeoutMs: 500,
      statementTimeoutMs: 2_000,
    });
    expect(pool.timeouts).toEqual({
      acquireTimeoutMs: 500,
      statementTimeoutMs: 2_000,
      queryTimeoutMs: 3_000,
      keepAliveInitialDelayMs: 10_000,
    });
    await pool.end();
  });
});
