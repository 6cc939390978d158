import { isConfigError } from '@pocs/shared/errors';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

describe('config', () => {
  it('defaults to a healthy dependency with 50 requests per 100 ms window', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3075,
      CAPACITY_PER_WINDOW: 50,
      WINDOW_MS: 100,
      BREAK_OUTAGE_MS: 0,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('rejects every bad key at once, naming key and value', () => {
    let caught: unknown;
    try {
      loadConfig({ CAPACITY_PER_WINDOW: '0', WINDOW_MS: 'soon', BREAK_OUTAGE_MS: '-1' });
    } catch (err) {
      caught = err;
    }
    expect(isConfigError(caught)).toBe(true);
    const problems = isConfigError(caught) ? caught.problems.join('\n') : '';
    expect(problems).toContain('CAPACITY_PER_WINDOW="0"');
    expect(problems).toContain('WINDOW_MS="soon"');
    expect(problems).toContain('BREAK_OUTAGE_MS="-1"');
  });
});
