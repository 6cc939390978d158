import { describe, expect, it } from 'vitest';
import { runDedupExperiment } from '../src/experiments/dedup.ts';
import { services } from './services.ts';

// 200 orders published twice back to back (a producer retry after a lost confirm), read by
// 2 consumers with prefetch 20: the two copies of an order are handled at the same time.
const run = (strategy: 'check-then-act' | 'atomic') =>
  runDedupExperiment({
    ...services,
    strategy,
    uniqueGuard: false,
    orders: 200,
    copies: 2,
    redeliverTimes: 0,
    consumers: 2,
    prefetch: 20,
  });

describe('two concurrent copies of each of 200 orders', () => {
  it('check-then-act (GET, insert, SET) ships some orders twice: the race, counted', async () => {
    const r = await run('check-then-act');
    expect(r.published).toBe(400);
    expect(r.final.ordersShipped).toBe(200);
    expect(r.final.duplicates).toBeGreaterThan(0);
    // Every duplicate is a copy that passed the GET: the counts add up exactly.
    expect(r.final.duplicates).toBe(200 - r.consumer.outcomes.duplicate);
    console.log(`check-then-act: ${r.final.duplicates} of 200 orders shipped twice`);
  });

  it('atomic SET NX PX: 0 duplicate shipments, every second copy acked as a duplicate', async () => {
    const r = await run('atomic');
    expect(r.final).toEqual({ shipments: 200, ordersShipped: 200, duplicates: 0 });
    // A copy that met the other one in flight was requeued, and acked as a duplicate later.
    expect(r.consumer.outcomes.duplicate).toBe(200);
  });
});
