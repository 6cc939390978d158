import { describe, expect, it } from 'vitest';
import { runSlowConsumer, type SlowConsumerOptions } from '../src/experiments/slow-consumer.ts';

// 2 members × 1 partition × 80 messages × 100 ms of CPU = an 8 s batch against a 6 s session.
const load: Omit<SlowConsumerOptions, 'blocking'> = {
  consumers: 2,
  partitions: 2,
  messages: 160,
  processMs: 100,
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 1_000,
  observeMs: 40_000,
};

describe('a consumer slower than its session timeout', () => {
  it('broken (blocking batch): members are evicted and rejoin over and over, lag never moves, work is redelivered', async () => {
    const r = await runSlowConsumer({
      ...load,
      blocking: true,
      stopWhen: (t) => t.joins >= 2 && t.redelivered > 0,
    });
    expect(r.joinsAfterStable).toBeGreaterThanOrEqual(2);
    expect(r.redelivered).toBeGreaterThan(0);
    // Every batch was applied downstream, yet no commit ever landed.
    expect(r.drainedSec).toBeNull();
    expect(r.finalLag).toBe(load.messages);
    expect(r.unique).toBeLessThanOrEqual(load.messages);
  });

  it('fixed (heartbeat + commit per message): same load drains with 0 rebalances and 0 redeliveries', async () => {
    const r = await runSlowConsumer({ ...load, blocking: false });
    expect(r.drainedSec).not.toBeNull();
    expect(r.finalLag).toBe(0);
    expect(r.joinsAfterStable).toBe(0);
    expect(r.rebalanceNoticesAfterStable).toBe(0);
    expect(r.redelivered).toBe(0);
    expect(r.unique).toBe(load.messages);
  });
});
