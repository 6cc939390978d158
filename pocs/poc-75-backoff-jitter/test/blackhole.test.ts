import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dependency, runBlackholeHerd, startDependency } from '../src/experiments/herd.ts';

let dependency: Dependency;
beforeAll(async () => {
  dependency = await startDependency({ port: 3175, capacityPerWindow: 40 });
});
afterAll(() => dependency?.stop());

describe('a blackholed network (toxiproxy timeout toxic)', () => {
  it('attempts time out during the outage, nothing reaches the dependency, and all clients succeed once it heals', async () => {
    const r = await runBlackholeHerd({
      dependency,
      proxyListen: '127.0.0.1:27502',
      clients: 100,
      outageMs: 2_000,
      attemptTimeoutMs: 250,
      backoff: { strategy: 'full', baseMs: 5, capMs: 1_000 },
      seed: 1,
    });
    const before = r.windows.filter((w) => w.atMs + 100 <= r.recoveredAtMs);
    // Every byte was dropped: the dependency saw no request while the network was cut.
    expect(before.reduce((n, w) => n + w.ok + w.down + w.overloaded, 0)).toBe(0);
    expect(r.clients.succeeded).toBe(100);
    expect(r.clients.gaveUp).toEqual({});
    // At least one timed-out attempt per client before the network healed.
    expect(r.clients.attempts).toBeGreaterThan(100);
    // Dropped bytes never arrive late: exactly one success per client, no ghost requests.
    expect(r.dependency.ok).toBe(100);
    // (Shedding after recovery is the herd tests' subject; with 100 clients against 40 per
    // 100 ms it depends on timing here, so this test does not count it.)
  });
});
