import { isConfigError } from '@pocs/shared/errors';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

describe('config', () => {
  it('defaults to the fix: atomic dedup with the unique constraint, no injected fault', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 3074,
      DEDUP_STRATEGY: 'atomic',
      PG_UNIQUE_GUARD: true,
      DEDUP_TTL_MS: 86_400_000,
      BREAK_REDELIVER_TIMES: 0,
      QUEUE: 'poc74.orders',
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('names every bad key and the expectation in one error', () => {
    let error: unknown;
    try {
      loadConfig({ DEDUP_STRATEGY: 'maybe', PREFETCH: '0', DB_SCHEMA: 'Drop Table' });
    } catch (err) {
      error = err;
    }
    expect(isConfigError(error)).toBe(true);
    const problems = isConfigError(error) ? error.problems : [];
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toContain(
      'DEDUP_STRATEGY="maybe": expected one of none, check-then-act, atomic',
    );
    expect(problems.join('\n')).toContain('PREFETCH="0"');
    expect(problems.join('\n')).toContain('DB_SCHEMA="Drop Table"');
  });
});
