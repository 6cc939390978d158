import { join, resolve } from 'node:path';
import { parseBrokers } from '@pocs/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConsumerConcurrency } from '../src/experiments/out-of-order/consumer-concurrency.ts';
import { createOrderAudit } from '../src/experiments/out-of-order/order-audit.ts';
import {
  type PrivateBroker,
  startPrivateBroker,
} from '../src/experiments/out-of-order/private-broker.ts';
import { runProducerRetries } from '../src/experiments/out-of-order/producer-retries.ts';
import { createSequenceGuard } from '../src/experiments/out-of-order/sequence-guard.ts';

const brokers = parseBrokers(process.env.KAFKA_BROKERS ?? '127.0.0.1:9092');
const repoRoot = resolve(import.meta.dirname, '../../..');

describe('order audit and sequence guard (pure)', () => {
  it('tells late duplicates from real reordering', () => {
    const audit = createOrderAudit();
    for (const seq of [1, 3, 2, 3, 1, 4]) audit.observe('a', seq);
    expect(audit.counts(new Map([['a', 5]]))).toEqual({
      events: 6,
      outOfOrder: 2, // 2 after 3, and the copy of 1 (the copy of 3 only repeats the latest)
      duplicates: 2,
      reorderedFirstDeliveries: 1,
      missing: 1, // 5 never came
      keysAffected: 1,
    });
  });

  it('applies in sequence, parks early arrivals, drops copies', () => {
    const applied: number[] = [];
    const guard = createSequenceGuard((_key, seq) => applied.push(seq));
    for (const seq of [2, 1, 1, 4, 3]) guard.offer('a', seq);
    expect(applied).toEqual([1, 2, 3, 4]);
    expect(guard.stats()).toEqual({ applied: 4, gapsDetected: 2, duplicatesDropped: 1, parked: 0 });
  });
});

// Producer side: a private broker on 9148 advertised as toxiproxy 27461, so every
// request crosses the proxy; 2 windows of 2000 ms response latency vs a 1000 ms timeout.
describe('producer retries after request timeouts (private broker behind toxiproxy)', () => {
  let broker: PrivateBroker;
  beforeAll(async () => {
    broker = await startPrivateBroker({
      brokerPort: 9148,
      proxyAddress: '127.0.0.1:27461',
      stateDir: join(repoRoot, '.services', 'poc-46-ooo-test'),
    });
  }, 90_000);
  afterAll(async () => {
    await broker?.stop();
  }, 60_000);

  const run = (mode: 'concurrent' | 'idempotent-serial') =>
    runProducerRetries({
      brokers: broker.brokers,
      proxy: broker.proxy,
      mode,
      events: 800,
      keys: 20,
      partitions: 3,
      ratePerSec: 200,
      requestTimeoutMs: 1000,
      slowResponses: { windows: 2, windowMs: 1500, latencyMs: 2000 },
    });

  it('concurrent sends without idempotence write timed-out requests twice, after later events', async () => {
    const r = await run('concurrent');
    expect(r.requestTimeouts).toBeGreaterThan(0);
    expect(r.outOfOrder).toBeGreaterThan(0);
    // Every timed-out request was written by the broker and once more by the retry.
    expect(r.duplicates).toBe(r.requestTimeouts);
    expect(r.missing).toBe(0);
  }, 60_000);

  it('an idempotent producer with one send in flight: 0 out of order, 0 duplicates', async () => {
    const r = await run('idempotent-serial');
    expect(r.requestTimeouts).toBeGreaterThan(0); // the fault hit it too
    expect(r).toMatchObject({ outOfOrder: 0, duplicates: 0, missing: 0, events: 800 });
  }, 60_000);
});

describe('consumer concurrency (shared broker)', () => {
  const run = (mode: 'concurrent' | 'per-key-serial' | 'sequence-guard') =>
    runConsumerConcurrency({
      brokers,
      mode,
      keys: 20,
      eventsPerKey: 25,
      partitions: 3,
      maxLatencyMs: 20,
      seed: 46,
      timeoutMs: 30_000,
    });

  it('Promise.all over a batch applies later events of a key first', async () => {
    const r = await run('concurrent');
    expect(r.outOfOrder).toBeGreaterThan(0);
    expect(r.missing).toBe(0);
  }, 45_000);

  it('per-key serial processing applies all 500 in order', async () => {
    const r = await run('per-key-serial');
    expect(r).toMatchObject({ outOfOrder: 0, missing: 0, events: 500 });
  }, 45_000);

  it('the sequence guard detects the reordering and still applies in order', async () => {
    const r = await run('sequence-guard');
    expect(r.guard?.gapsDetected).toBeGreaterThan(0);
    expect(r).toMatchObject({ outOfOrder: 0, missing: 0, events: 500 });
    expect(r.guard?.parked).toBe(0);
  }, 45_000);
});
