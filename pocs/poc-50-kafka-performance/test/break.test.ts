import { serviceDefaults } from '@pocs/shared/config';
import { describe, expect, it } from 'vitest';
import { runBreak } from '../src/experiments/break-run.ts';
import { brokers } from './services.ts';

describe('break: a producer outpacing a slow consumer', () => {
  it('lag read from the exporter grows every second, then the fix drains it to exactly 0', async () => {
    const rate = 1_000;
    const r = await runBreak({
      brokers: brokers || serviceDefaults.KAFKA_BROKERS,
      ratePerSec: rate,
      partitions: 6,
      brokenSeconds: 6,
      fixedSeconds: 4,
      callMs: 2,
      fixedBatch: 100,
      fixedConcurrency: 6,
      exporterPort: 3150,
    });
    const broken = r.samples.filter((s) => s.phase === 'broken');
    // Broken: one 2 ms call per message caps the consumer near 400 msg/s, so lag climbs.
    expect(broken.length).toBeGreaterThanOrEqual(6);
    expect(r.broken.lagAtEnd).toBeGreaterThan(r.lagBudgetMessages);
    expect(r.broken.lagAtEnd).toBeGreaterThan(broken[2]!.lagMessages);
    expect(r.broken.growthPerSec).toBeGreaterThan(0);
    // Fixed: back within one second of traffic while producing, and exactly 0 once it stops.
    expect(r.fixed.secondsToBudget).not.toBeNull();
    expect(r.final.lagMessages).toBe(0);
    expect(r.final.consumedDistinct).toBe(r.final.produced);
  }, 90_000);
});
