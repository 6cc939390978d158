import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { percentileMs, runOpenLoop } from '../src/open-loop.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

describe('open-loop load', () => {
  it('keeps sending at the set rate while the server stalls, so requests pile up', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    // A server that answers every request after 300 ms: a closed loop of 1 would send ~3/s.
    server = createServer((_req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end('ok');
      }, 300);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };

    const started = Date.now();
    const result = await runOpenLoop({
      ratePerSec: 100,
      durationSec: 1,
      outcomes: ['ok', 'failed'] as const,
      send: async () => {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        await res.text();
        return res.ok ? 'ok' : 'failed';
      },
    });
    expect(result.sent).toBe(100);
    expect(result.outcomes.ok.count).toBe(100);
    expect(result.outcomes.failed.count).toBe(0);
    expect(result.outcomes.ok.p50Ms).toBeGreaterThanOrEqual(295);
    // 100/s for 300 ms each: about 30 in flight at once, not 1.
    expect(maxInFlight).toBeGreaterThanOrEqual(20);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(result.perSecond.reduce((n, s) => n + s.ok, 0)).toBe(100);
  });

  it('counts a throw from send as the last outcome', async () => {
    const result = await runOpenLoop({
      ratePerSec: 50,
      durationSec: 0.2,
      outcomes: ['ok', 'error'] as const,
      send: async (i) => {
        if (i % 2) throw new Error('boom');
        return 'ok';
      },
    });
    expect(result.outcomes).toMatchObject({ ok: { count: 5 }, error: { count: 5 } });
    expect(result.outcomes.error.firstSentAtMs).toBeGreaterThanOrEqual(15);
  });

  it('reports nearest-rank percentiles in whole ms, null without samples', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1.4);
    expect(percentileMs(values, 0.5)).toBe(50);
    expect(percentileMs(values, 0.99)).toBe(99);
    expect(percentileMs([], 0.5)).toBeNull();
  });
});
