import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { deriveTryTimeoutMs } from '../src/experiments/schedule.ts';

describe('timeout derivation', () => {
  it('is 2 × p99.9 rounded up to 10 ms, never below 150 ms', () => {
    expect(deriveTryTimeoutMs(16.3)).toBe(150);
    expect(deriveTryTimeoutMs(75)).toBe(150);
    expect(deriveTryTimeoutMs(101)).toBe(210);
  });

  it('gives the defaults from the committed measurement of inventory', async () => {
    const results = JSON.parse(
      await readFile(new URL('../results/timeouts.json', import.meta.url), 'utf8'),
    );
    const config = loadConfig({});
    expect(deriveTryTimeoutMs(results.inventoryLatency.p999Ms)).toBe(config.INVENTORY_TIMEOUT_MS);
    expect(results.timeouts.derivedOrdersTimeoutMs).toBe(config.ORDERS_TIMEOUT_MS);
    expect(config.GATEWAY_DEADLINE_MS).toBe(config.ORDERS_TIMEOUT_MS + 100);
  });
});
