import { describe, expect, it } from 'vitest';
import { runDedupExperiment } from '../src/experiments/dedup.ts';
import { services } from './services.ts';

// 100 orders, each delivered 1 + 3 times: every ack is "lost" 3 times (nack + requeue), so
// RabbitMQ redelivers. The unique constraint is off: Redis alone is under test.
const run = (strategy: 'none' | 'atomic') =>
  runDedupExperiment({
    ...services,
    strategy,
    uniqueGuard: false,
    orders: 100,
    copies: 1,
    redeliverTimes: 3,
    consumers: 2,
    prefetch: 20,
  });

describe('3 redeliveries of each of 100 orders', () => {
  it('without dedup every redelivery ships again: exactly 300 duplicate shipments', async () => {
    const r = await run('none');
    expect(r.consumer.redelivered).toBe(300);
    expect(r.final).toEqual({ shipments: 400, ordersShipped: 100, duplicates: 300 });
    // The result says what produced it, and carries no connection string.
    expect(r).toMatchObject({ strategy: 'none', uniqueGuard: false, orders: 100, copies: 1 });
    expect(r).toMatchObject({ redeliverTimes: 3, consumers: 2, prefetch: 20 });
    expect(Object.keys(r)).not.toContain('postgresUrl');
  });

  it('with atomic SET NX PX dedup: 0 duplicate shipments, 300 redeliveries skipped', async () => {
    const r = await run('atomic');
    expect(r.consumer.redelivered).toBe(300);
    expect(r.consumer.outcomes.duplicate).toBe(300);
    expect(r.final).toEqual({ shipments: 100, ordersShipped: 100, duplicates: 0 });
  });
});
