import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { startRun } from '../src/experiments/run.ts';

const SESSION_TIMEOUT_MS = 6_000;
const MESSAGES = 600;

/** 3 members, 6 partitions, 600 messages; stop member 1 mid-work through the HTTP API. */
async function stopOneMidWork(signal: 'SIGKILL' | 'SIGTERM') {
  const run = await startRun({
    PARTITIONS: '6',
    SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
    HEARTBEAT_INTERVAL_MS: '1000',
    PROCESS_MS_PER_MESSAGE: '10',
    COMMIT_EVERY_MESSAGES: '40',
    // Commit by count only, so the victim's uncommitted work at the kill is known.
    COMMIT_INTERVAL_MS: '600000',
  });
  try {
    const { app } = run.built;
    const scaled = await app.inject({ method: 'POST', url: '/consumers', payload: { count: 3 } });
    expect(scaled.statusCode).toBe(201);
    await run.waitForCompleteAssignment(3, 60_000);
    await app.inject({ method: 'POST', url: '/produce', payload: { count: MESSAGES } });
    const victim = await run.waitForConsumer(
      1,
      (c) => c.uncommitted >= 3 && c.uncommitted <= 20,
      '3-20 uncommitted messages',
    );
    const t0 = performance.now();
    const stopped = await app.inject({ method: 'DELETE', url: `/consumers/1?signal=${signal}` });
    expect(stopped.statusCode).toBe(200);
    expect(stopped.json().exit.signal).toBe(signal === 'SIGKILL' ? 'SIGKILL' : null);

    await run.waitForCompleteAssignment(2, SESSION_TIMEOUT_MS * 3);
    const reassignedMs = performance.now() - t0;
    const a = (await app.inject({ method: 'GET', url: '/assignments' })).json();
    const owners = a.members.map((m: { consumer: number }) => m.consumer).sort();
    const owned = a.members.flatMap((m: { partitions: number[] }) => m.partitions).sort();
    await run.waitForZeroLag(30_000);
    const stats = (await app.inject({ method: 'GET', url: '/stats' })).json();
    return { victim, reassignedMs, owners, owned, stats };
  } finally {
    await run.close();
  }
}

describe('a member leaves the group', () => {
  it('SIGKILL: after session.timeout every partition is reassigned, lag returns to 0, and the uncommitted work is redelivered and deduplicated', async () => {
    const r = await stopOneMidWork('SIGKILL');
    expect(r.victim.partitions).toHaveLength(2);
    // Nobody told the broker: it waited out the session before moving the partitions.
    expect(r.reassignedMs).toBeGreaterThanOrEqual(SESSION_TIMEOUT_MS - 1_000);
    expect(r.owners).toEqual([2, 3]);
    expect(r.owned).toEqual([0, 1, 2, 3, 4, 5]);
    // Processed but uncommitted by the victim: read again by the new owner, dropped by the sink.
    expect(r.stats.sink.redelivered).toBeGreaterThanOrEqual(r.victim.uncommitted);
    expect(r.stats.sink.unique).toBe(MESSAGES);
    expect(r.stats.sink.processed).toBe(MESSAGES + r.stats.sink.redelivered);
  });

  it('SIGTERM (commit, then LeaveGroup): partitions move at once and nothing is redelivered', async () => {
    const r = await stopOneMidWork('SIGTERM');
    expect(r.reassignedMs).toBeLessThan(SESSION_TIMEOUT_MS - 1_000);
    expect(r.owners).toEqual([2, 3]);
    expect(r.owned).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r.stats.sink.redelivered).toBe(0);
    expect(r.stats.sink.unique).toBe(MESSAGES);
  });
});
