import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

describe('config', () => {
  it('defaults: the transaction deadline sits below the coordinator transaction timeout', () => {
    const c = loadConfig({});
    expect(c.TX_DEADLINE_MS).toBe(15_000);
    expect(c.TX_DEADLINE_MS).toBeLessThan(c.TRANSACTION_TIMEOUT_MS);
  });

  it('refuses a deadline at or past the transaction timeout, naming both', () => {
    expect(() => loadConfig({ TX_DEADLINE_MS: '30000' })).toThrow(
      'TX_DEADLINE_MS=30000: must be below TRANSACTION_TIMEOUT_MS (30000)',
    );
    expect(
      loadConfig({ TX_DEADLINE_MS: '40000', TRANSACTION_TIMEOUT_MS: '60000' }).TX_DEADLINE_MS,
    ).toBe(40_000);
  });
});
