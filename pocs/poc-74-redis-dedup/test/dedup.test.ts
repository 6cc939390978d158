import { randomUUID } from 'node:crypto';
import { waitFor } from '@pocs/shared/wait';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeduper, type Verdict } from '../src/dedup.ts';
import { deleteKeys } from '../src/experiments/dedup.ts';
import { services } from './services.ts';

// The shared Redis; every key of this file lives under its own prefix, deleted at the end.
const keyPrefix = `poc74:test:${randomUUID()}:`;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(services.redisUrl, { lazyConnect: true, disconnectTimeout: 0 });
  await redis.connect();
});
afterAll(async () => {
  await deleteKeys(services.redisUrl, keyPrefix);
  redis.disconnect();
});

const options = () => ({ redis, keyPrefix, ttlMs: 60_000, claimTtlMs: 5_000 });
const count = (verdicts: Verdict[], v: Verdict) => verdicts.filter((x) => x === v).length;

describe('dedup strategies, 50 concurrent deliveries of one message id', () => {
  it('check-then-act: every delivery that checks before the first SET runs the side effect', async () => {
    const d = createDeduper('check-then-act', options());
    // All 50 GETs are in flight before any side effect finished and SET: the race window.
    const verdicts = await Promise.all(Array.from({ length: 50 }, () => d.begin('m-race')));
    expect(count(verdicts, 'run')).toBe(50);
    await d.commit('m-race');
    expect(await d.begin('m-race')).toBe('duplicate');
  });

  it('atomic SET NX: exactly one delivery runs, the other 49 see it in flight', async () => {
    const d = createDeduper('atomic', options());
    const verdicts = await Promise.all(Array.from({ length: 50 }, () => d.begin('m-atomic')));
    expect(count(verdicts, 'run')).toBe(1);
    expect(count(verdicts, 'in-flight')).toBe(49);
    await d.commit('m-atomic');
    expect(await d.begin('m-atomic')).toBe('duplicate');
    const ttl = await redis.pttl(`${keyPrefix}msg:m-atomic`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('atomic: a failed side effect releases the claim, so the redelivery runs', async () => {
    const d = createDeduper('atomic', options());
    expect(await d.begin('m-fail')).toBe('run');
    await d.abort('m-fail');
    expect(await d.begin('m-fail')).toBe('run');
  });

  it('atomic: a claim left by a crashed consumer expires after the claim TTL', async () => {
    const d = createDeduper('atomic', { ...options(), claimTtlMs: 50 });
    expect(await d.begin('m-crash')).toBe('run');
    expect(await d.begin('m-crash')).toBe('in-flight');
    // No commit, no abort: the consumer died. The next delivery may run once the claim expires.
    await waitFor(async () => (await d.begin('m-crash')) === 'run', {
      timeoutMs: 2_000,
      intervalMs: 10,
      description: 'the abandoned claim to expire',
    });
    expect(await d.begin('m-crash')).toBe('in-flight');
  });

  it('none: every delivery runs', async () => {
    const d = createDeduper('none', options());
    const verdicts = await Promise.all(Array.from({ length: 50 }, () => d.begin('m-none')));
    expect(count(verdicts, 'run')).toBe(50);
  });
});
