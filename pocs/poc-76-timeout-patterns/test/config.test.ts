import { describe, expect, it } from 'vitest';
import { configSchema, loadConfig } from '../src/config.ts';

describe('config', () => {
  it('gives every key a default and keeps the hop budgets nested', () => {
    const config = loadConfig({});
    expect(Object.keys(config).sort()).toEqual(Object.keys(configSchema.shape).sort());
    // The gateway hands orders part of its budget; orders fits its tries inside that.
    expect(config.ORDERS_TIMEOUT_MS).toBeLessThan(config.GATEWAY_DEADLINE_MS);
    expect((config.ORDERS_RETRIES + 1) * config.INVENTORY_TIMEOUT_MS).toBeLessThanOrEqual(
      config.ORDERS_TIMEOUT_MS - config.HOP_RESERVE_MS,
    );
    expect(config.BREAK_NO_TIMEOUTS).toBe(false);
  });

  it('names every bad key and value in one error', () => {
    expect(() =>
      loadConfig({ SERVICE: 'billing', BREAK_NO_TIMEOUTS: 'maybe', INVENTORY_TIMEOUT_MS: '0' }),
    ).toThrow(/SERVICE="billing"[\s\S]*BREAK_NO_TIMEOUTS="maybe"[\s\S]*INVENTORY_TIMEOUT_MS="0"/);
  });
});
