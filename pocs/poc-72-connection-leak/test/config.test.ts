import { isConfigError } from '@pocs/shared/errors';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

describe('config', () => {
  it('defaults to the fix, leak detection on, force-release off', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3072,
      PG_POOL_MAX: 10,
      PG_ACQUIRE_TIMEOUT_MS: 2_000,
      PG_LEAK_THRESHOLD_MS: 2_000,
      PG_DANGEROUSLY_FORCE_RELEASE_LEAKS: false,
      BREAK_LEAK_ON_ERROR: false,
      INJECT_ERROR_RATE: 0,
      DB_SCHEMA: 'poc72',
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(loadConfig({ BREAK_LEAK_ON_ERROR: '1' }).BREAK_LEAK_ON_ERROR).toBe(true);
  });

  it('rejects every bad key at once, naming key and value', () => {
    let caught: unknown;
    try {
      loadConfig({ INJECT_ERROR_RATE: '1.5', DB_SCHEMA: 'x"; drop', BREAK_LEAK_ON_ERROR: 'maybe' });
    } catch (err) {
      caught = err;
    }
    expect(isConfigError(caught)).toBe(true);
    const problems = isConfigError(caught) ? caught.problems.join('\n') : '';
    expect(problems).toContain('INJECT_ERROR_RATE="1.5": expected a share between 0 and 1');
    expect(problems).toContain('DB_SCHEMA="x\\"; drop": expected a lower-case SQL identifier');
    expect(problems).toContain(
      'BREAK_LEAK_ON_ERROR="maybe": expected one of 1, 0, true, false, yes, no',
    );
  });
});
