import { describe, expect, it } from 'vitest';
import {
  ACK_BEFORE_SEND,
  FIXED,
  type OutageResult,
  runOutageExperiment,
} from '../src/experiments/outage.ts';
import { TEST_BROKER_PORT } from '../src/experiments/private-broker.ts';

// A private single broker on 9146 (state in .services/poc-46-tests) is stopped mid-stream
// and started again; the shared brokers are never touched. Both twins get orders during
// the same outage, so one stop/start cycle shows the failure and its absence.
describe('broker stopped mid-stream and started again', () => {
  let run: OutageResult;

  it('runs the outage: the broker really went away (the fixed twin answered 503s)', async () => {
    run = await runOutageExperiment({
      port: TEST_BROKER_PORT,
      stateName: 'poc-46-tests',
      twins: [FIXED, ACK_BEFORE_SEND],
      clients: 2,
      orderIntervalMs: 20,
      warmupMs: 2_000,
      downMs: 3_000,
      afterMs: 2_000,
      produceTimeoutMs: 2_000,
      clientRetryMs: 250,
      partitions: 6,
    });
    const fixed = run.twins[0]!;
    expect(fixed.rejected).toBeGreaterThan(0);
    expect(fixed.longestGapMs).toBeGreaterThan(3_000);
    expect(fixed.givenUp).toBe(0);
  }, 120_000);

  it('202 after the broker ack: every acknowledged order is in Postgres exactly once', () => {
    const fixed = run.twins[0]!;
    expect(fixed.acknowledged).toBeGreaterThan(100);
    expect({
      missing: fixed.missing,
      duplicated: fixed.duplicated,
      extraRows: fixed.extraRows,
    }).toEqual({ missing: 0, duplicated: 0, extraRows: 0 });
    expect(fixed.rows).toBe(fixed.acknowledged);
    // Each record comes from exactly one acknowledged send: the 202s plus the sends answered
    // 503 that the broker took after all (the idempotent producer adds no copies of its own).
    expect(fixed.records).toBe(fixed.acknowledged + fixed.lateAcks);
    // Those late copies (and any batch redelivered after a failed commit) hit the unique index.
    expect(fixed.duplicatesSuppressed).toBeGreaterThanOrEqual(fixed.lateAcks);
  });

  it('202 before the ack: the orders whose send failed after their 202 are lost, counted exactly', () => {
    const broken = run.twins[1]!;
    expect(broken.rejected).toBe(0);
    expect(broken.missing).toBeGreaterThan(0);
    expect(broken.missing).toBe(broken.unconfirmedFailed);
    expect(broken.rows).toBe(broken.acknowledged - broken.missing);
    expect(broken.records).toBe(broken.rows);
    expect(broken.duplicated).toBe(0);
  });
});
