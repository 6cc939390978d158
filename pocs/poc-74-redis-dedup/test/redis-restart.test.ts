import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDedupExperiment } from '../src/experiments/dedup.ts';
import { type PrivateRedis, startPrivateRedis } from '../src/experiments/private-redis.ts';
import { PRIVATE_REDIS_PORT, services } from './services.ts';

// A private redis-server without persistence on its own port: killing it forgets every
// dedup key, as a restarted cache without AOF/RDB does. The shared Redis is never touched.
let redis: PrivateRedis;
beforeAll(async () => {
  redis = await startPrivateRedis({ port: PRIVATE_REDIS_PORT });
});
afterAll(async () => {
  await redis?.stop();
});

const run = (uniqueGuard: boolean, restart: boolean) =>
  runDedupExperiment({
    ...services,
    redisUrl: redis.url,
    strategy: 'atomic',
    uniqueGuard,
    orders: 100,
    copies: 1,
    redeliverTimes: 0,
    consumers: 2,
    prefetch: 20,
    replay: 100,
    beforeReplay: restart ? () => redis.restart() : undefined,
  });

describe('replay of 100 processed orders with atomic Redis dedup', () => {
  it('Redis remembers: the replay ships nothing (0 duplicates)', async () => {
    const r = await run(false, false);
    expect(r.replayed).toBe(100);
    expect(r.consumer.outcomes.duplicate).toBe(100);
    expect(r.final.duplicates).toBe(0);
  });

  it('after a Redis restart without the unique constraint: all 100 ship again', async () => {
    const r = await run(false, true);
    expect(r.firstPass.duplicates).toBe(0);
    expect(r.final).toEqual({ shipments: 200, ordersShipped: 100, duplicates: 100 });
  });

  it('after a Redis restart with the unique constraint: still 0, the constraint caught 100', async () => {
    const r = await run(true, true);
    expect(r.final).toEqual({ shipments: 100, ordersShipped: 100, duplicates: 0 });
    expect(r.consumer.sideEffects).toEqual({ inserted: 100, conflict: 100 });
  });
});
