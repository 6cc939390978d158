import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function build(env: Record<string, string> = {}) {
  let t = 0;
  const clock = { advance: (ms: number) => (t += ms) };
  const registry = createRegistry();
  const { app } = await buildApp(loadConfig(env), {
    logger: silentLogger,
    registry,
    now: () => t,
  });
  close = () => app.close();
  return { app, clock, registry };
}

describe('the flaky dependency', () => {
  it('answers 200, then 503 down during an outage, then 200 again once it ends', async () => {
    const { app, clock } = await build();
    expect((await app.inject('/resource')).statusCode).toBe(200);
    const started = await app.inject({
      method: 'POST',
      url: '/outage',
      payload: { durationMs: 1_000 },
    });
    expect(started.statusCode).toBe(202);
    const down = await app.inject('/resource');
    expect(down.statusCode).toBe(503);
    expect(down.headers['content-type']).toContain('application/problem+json');
    expect(down.json()).toMatchObject({ code: 'down' });
    clock.advance(1_000);
    expect((await app.inject('/resource')).statusCode).toBe(200);
    await app.inject({ method: 'POST', url: '/outage', payload: { durationMs: 60_000 } });
    expect((await app.inject({ method: 'DELETE', url: '/outage' })).statusCode).toBe(204);
    expect((await app.inject('/resource')).statusCode).toBe(200);
  });

  it('sheds requests over its capacity per window with 503 overloaded, and counts them', async () => {
    const { app, clock, registry } = await build({ CAPACITY_PER_WINDOW: '3', WINDOW_MS: '100' });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await app.inject('/resource')).statusCode);
    clock.advance(100);
    codes.push((await app.inject('/resource')).statusCode);
    expect(codes).toEqual([200, 200, 200, 503, 503, 200]);
    const stats = (await app.inject('/stats')).json();
    expect(stats.total).toEqual({ ok: 4, down: 0, overloaded: 2 });
    expect(stats.windows).toEqual([
      { atMs: 0, ok: 3, down: 0, overloaded: 2 },
      { atMs: 100, ok: 1, down: 0, overloaded: 0 },
    ]);
    const metrics = await registry.metrics();
    expect(metrics).toContain('dependency_requests_total{outcome="overloaded"} 2');
  });

  it('starts down when BREAK_OUTAGE_MS is set', async () => {
    const { app, clock } = await build({ BREAK_OUTAGE_MS: '500' });
    expect((await app.inject('/resource')).statusCode).toBe(503);
    clock.advance(500);
    expect((await app.inject('/resource')).statusCode).toBe(200);
  });

  it('rejects a bad outage with 400 and a message naming the field', async () => {
    const { app } = await build();
    for (const payload of [{}, { durationMs: 0 }, { durationMs: 'ten' }, { durationMs: 600_001 }]) {
      const res = await app.inject({ method: 'POST', url: '/outage', payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().detail).toMatch(/durationMs/);
    }
    const broken = await app.inject({
      method: 'POST',
      url: '/outage',
      headers: { 'content-type': 'application/json' },
      payload: '{"durationMs":',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.headers['content-type']).toContain('application/problem+json');
    // Nothing was started by the bad requests.
    expect((await app.inject('/resource')).statusCode).toBe(200);
  });
});
