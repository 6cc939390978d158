import { describe, expect, it } from 'vitest';
import { runLeakExperiment } from '../src/experiments/leak.ts';
import { postgresUrl } from './postgres-url.ts';

// The break script's own experiment, shortened: it must keep reproducing the leak with the
// bug, and keep showing exactly 0 with the fix. Real child processes over real sockets.
const scenario = {
  postgresUrl,
  port: 3172,
  ratePerSec: 50,
  durationSec: 3,
  errorRate: 0.2,
  poolMax: 5,
  acquireTimeoutMs: 1_000,
  leakThresholdMs: 1_000,
};

describe('break: a leak on the error path', () => {
  it('with the bug, leaks every client, reports each one, and answers 503 after the pool is empty', async () => {
    const bug = await runLeakExperiment({ ...scenario, variant: 'bug' });
    expect(bug.leakedClients).toBe(scenario.poolMax);
    expect(bug.leaksDetected).toBe(scenario.poolMax);
    expect(bug.idleAtEnd).toBe(0);
    expect(bug.acquireTimeouts).toBeGreaterThan(0);
    expect(bug.load.unavailable).toBe(bug.acquireTimeouts);
    expect(bug.load.unavailableP50Ms).toBeGreaterThanOrEqual(scenario.acquireTimeoutMs - 20);
    expect(bug.firstLeak?.frames[0]).toMatch(
      /^at refundOrderLeaky \(src\/refund-leaky\.ts:\d+:\d+\)$/,
    );
  });

  it('with the fix, the same load leaves 0 leaked, 0 detected, 0 timeouts and idle == total', async () => {
    const fix = await runLeakExperiment({ ...scenario, variant: 'fix' });
    expect(fix.leakedClients).toBe(0);
    expect(fix.leaksDetected).toBe(0);
    expect(fix.acquireTimeouts).toBe(0);
    expect(fix.load.unavailable).toBe(0);
    expect(fix.load.other).toBe(0);
    expect(fix.load.rejected).toBe(fix.load.injected);
    expect(fix.load.ok).toBe(fix.load.sent - fix.load.injected);
    expect(fix.idleAtEnd).toBe(fix.totalAtEnd);
    expect(fix.firstLeak).toBeNull();
  });
});
