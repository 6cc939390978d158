import { serviceDefaults } from '@pocs/shared/config';
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { runOverload } from '../src/experiments/overload.ts';

// The break script's experiment, shortened (the bench runs 60 s): a real service process
// with a heap cap, real sockets, open-loop load. Capacity = 2 workers × 10 jobs/s = 20/s.
const capacity = 20;
const overload10x = {
  ratePerSec: capacity * 10,
  durationSec: 10,
  deadlineMs: 1_000,
  rssBoundMb: 300,
  maxOldSpaceMb: 512,
};

describe('10× overload', () => {
  it('unbounded: RSS grows until the test bound stops the load, and goodput collapses', async () => {
    const r = await runOverload({ ...overload10x, mode: 'unbounded', port: 3177 });
    expect(r.stoppedBy).toBe('rss-bound');
    expect(r.samplesOverRssBound).toBeGreaterThan(0);
    expect(r.rssSlopeMbPerSec).toBeGreaterThan(10);
    expect(r.load.outcomes.late.count).toBeGreaterThan(0);
    expect(r.load.outcomes.shed.count).toBe(0);
    expect(r.goodputPerSec).toBeLessThan(0.9 * capacity);
  });

  it.each([
    { mode: 'fixed', port: 3477 },
    { mode: 'adaptive', port: 3577 },
  ] as const)(
    '$mode limit: RSS stays under the bound, 0 late, goodput ≥ 90 percent of capacity',
    async ({ mode, port }) => {
      const r = await runOverload({ ...overload10x, mode, port });
      expect(r.stoppedBy).toBe('duration');
      expect(r.samplesOverRssBound).toBe(0);
      expect(r.load.outcomes.late.count).toBe(0);
      expect(r.load.outcomes.failed.count).toBe(0);
      expect(r.shedWithoutRetryAfter).toBe(0);
      expect(r.load.outcomes.shed.count).toBeGreaterThan(0);
      expect(r.goodputPerSec).toBeGreaterThanOrEqual(0.9 * capacity);
    },
  );

  it('broker queue with prefetch: the backlog stays on RabbitMQ, bounded; RSS flat, 0 late', async () => {
    const maxLength = 8;
    const r = await runOverload({
      ...overload10x,
      mode: 'broker',
      port: 3487,
      env: { BROKER_MAX_LENGTH: String(maxLength) },
    });
    expect(r.stoppedBy).toBe('duration');
    expect(r.samplesOverRssBound).toBe(0);
    expect(r.load.outcomes.late.count).toBe(0);
    expect(r.load.outcomes.failed.count).toBe(0);
    expect(r.shedWithoutRetryAfter).toBe(0);
    // A full queue turns into publish nacks → 429, and the broker never holds more.
    expect(r.load.outcomes.shed.count).toBeGreaterThan(0);
    expect(r.maxQueueDepth).toBeGreaterThan(0);
    expect(r.maxQueueDepth).toBeLessThanOrEqual(maxLength);
    expect(r.goodputPerSec).toBeGreaterThanOrEqual(0.9 * capacity);
    // The run's queue was unique and the service deleted it when it stopped.
    expect(r.brokerQueue).toMatch(/^poc77-jobs-/);
    expect(await queueExists(r.brokerQueue as string)).toBe(false);
  });
});

async function queueExists(queue: string): Promise<boolean> {
  const connection = await amqp.connect(serviceDefaults.RABBITMQ_URL);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    return await channel.checkQueue(queue).then(
      () => true,
      () => false,
    );
  } finally {
    await connection.close().catch(() => {});
  }
}

describe('2× overload: adaptive limit against a fixed limit set too high', () => {
  const overload2x = { ratePerSec: capacity * 2, durationSec: 8, deadlineMs: 1_000 };

  it('a fixed limit of 100 lets a queue build: requests miss their deadline', async () => {
    const r = await runOverload({
      ...overload2x,
      mode: 'fixed',
      port: 3187,
      env: { MAX_IN_FLIGHT: '100' },
    });
    expect(r.load.outcomes.late.count).toBeGreaterThan(0);
    expect(r.goodputPerSec).toBeLessThan(0.9 * capacity);
  });

  it('the adaptive limit keeps latency near the minimum: 0 late, goodput ≥ 90% of capacity', async () => {
    const r = await runOverload({ ...overload2x, mode: 'adaptive', port: 3487 });
    expect(r.load.outcomes.late.count).toBe(0);
    expect(r.goodputPerSec).toBeGreaterThanOrEqual(0.9 * capacity);
    expect(r.okP99Ms).toBeLessThan(overload2x.deadlineMs);
  });
});
