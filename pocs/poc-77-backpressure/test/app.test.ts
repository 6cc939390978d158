import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { waitFor } from '@pocs/shared/wait';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

const build = (env: Record<string, string>) =>
  buildApp(loadConfig({ JOB_MEMORY_BYTES: '1024', ...env }), {
    logger: silentLogger,
    registry: createRegistry(),
  });

describe('POST /jobs', () => {
  it('runs a job and answers 200 with what it did', async () => {
    const { app } = await build({ JOB_SERVICE_MS: '5' });
    const res = await app.inject({ method: 'POST', url: '/jobs', payload: { task: 'resize' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ task: 'resize', payloadBytes: 1024 });
    await app.close();
  });

  it('rejects a missing or oversized task with a 400 problem that names the field', async () => {
    const { app } = await build({});
    const missing = await app.inject({ method: 'POST', url: '/jobs', payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(missing.json().detail).toMatch(/task/);
    const long = await app.inject({
      method: 'POST',
      url: '/jobs',
      payload: { task: 'x'.repeat(65) },
    });
    expect(long.statusCode).toBe(400);
    expect(long.json().detail).toMatch(/task/);
    await app.close();
  });

  it('sheds above MAX_IN_FLIGHT with 429, Retry-After and the limit', async () => {
    const { app } = await build({ MAX_IN_FLIGHT: '2', JOB_SERVICE_MS: '200', WORKERS: '1' });
    // inject() dispatches on then(); wait until both are admitted before the third.
    const first = Promise.all(
      [1, 2].map((i) => app.inject({ method: 'POST', url: '/jobs', payload: { task: `t${i}` } })),
    );
    await waitFor(async () => (await app.inject({ url: '/health' })).json().inFlight === 2, {
      timeoutMs: 2_000,
      description: 'two jobs in flight',
    });
    const shed = await app.inject({ method: 'POST', url: '/jobs', payload: { task: 't3' } });
    expect(shed.statusCode).toBe(429);
    expect(shed.headers['retry-after']).toBe('1');
    expect(shed.json()).toMatchObject({ code: 'overloaded', limit: 2, status: 429 });
    expect((await first).map((r) => r.statusCode)).toEqual([200, 200]);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^jobs_shed_total 1$/m);
    expect(metrics.body).toMatch(/^jobs_admitted_total 2$/m);
    expect(metrics.body).toMatch(/^jobs_completed_total 2$/m);
    // Each job's time before a worker took it: the second waited for the first (200 ms).
    expect(metrics.body).toMatch(/^jobs_queue_wait_seconds_count 2$/m);
    expect(metrics.body).toMatch(/^jobs_queue_wait_seconds_bucket\{le="0.1"\} 1$/m);
    await app.close();
  });

  it('never sheds when unbounded: every request is queued', async () => {
    const { app } = await build({
      ADMISSION_MODE: 'unbounded',
      JOB_SERVICE_MS: '20',
      WORKERS: '1',
    });
    const all = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        app.inject({ method: 'POST', url: '/jobs', payload: { task: `t${i}` } }),
      ),
    );
    expect(all.filter((r) => r.statusCode === 200)).toHaveLength(20);
    await app.close();
  });
});
