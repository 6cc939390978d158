import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { PoolTimeoutError } from '../src/errors.ts';
import { silentLogger } from '../src/log.ts';
import { createRegistry } from '../src/metrics.ts';
import { createServer, startServer } from '../src/server.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function build() {
  const registry = createRegistry({ defaultMetrics: false });
  const server = createServer({ logger: silentLogger, registry, health: () => ({ pool: 'ok' }) });
  server.post(
    '/echo',
    {
      schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } },
    },
    async (request) => request.body,
  );
  server.get('/busy', async () => {
    throw new PoolTimeoutError({ waitedMs: 2000, poolMax: 10, waiting: 37 });
  });
  server.get('/boom', async () => {
    throw new Error('secret detail that must not leak to the caller');
  });
  return server;
}

describe('server', () => {
  it('answers /health with readiness facts', async () => {
    app = build();
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', pool: 'ok' });
  });

  it('exposes request durations on /metrics with the route template', async () => {
    app = build();
    await app.inject({ method: 'POST', url: '/echo', payload: { n: 1 } });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/echo",status_code="200"\} 1/,
    );
  });

  it('answers a schema violation with 400 problem+json that names the field', async () => {
    app = build();
    const res = await app.inject({ method: 'POST', url: '/echo', payload: { n: 'x' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().detail).toContain('n');
  });

  it('maps pool exhaustion to 503 with Retry-After, and keeps 500 bodies generic', async () => {
    app = build();
    const busy = await app.inject({ method: 'GET', url: '/busy' });
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBe('1');
    const boom = await app.inject({ method: 'GET', url: '/boom' });
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toContain('secret');
    const missing = await app.inject({ method: 'GET', url: '/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().title).toBe('no route GET /nope');
  });

  it('on a signal, finishes the in-flight request, then closes and exits 0', async () => {
    const server = build();
    app = server;
    let releaseSlow: () => void = () => {};
    const slowStarted = new Promise<void>((started) => {
      server.get('/slow', async () => {
        started();
        await new Promise<void>((r) => {
          releaseSlow = r;
        });
        return { done: true };
      });
    });
    let closedHookRan = false;
    server.addHook('onClose', async () => {
      closedHookRan = true;
    });
    const exits: number[] = [];
    const address = await startServer(server, {
      host: '127.0.0.1',
      port: 0,
      signals: ['SIGUSR2'],
      exit: (c) => exits.push(c),
    });

    const inFlight = fetch(`${address}/slow`).then(async (r) => ({
      status: r.status,
      body: await r.json(),
    }));
    await slowStarted;
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(exits).toEqual([]); // still draining
    releaseSlow();
    expect(await inFlight).toEqual({ status: 200, body: { done: true } });
    await new Promise<void>((resolve) => {
      const poll = () => (exits.length > 0 ? resolve() : setTimeout(poll, 5));
      poll();
    });
    expect(exits).toEqual([0]);
    expect(closedHookRan).toBe(true);
    await expect(fetch(`${address}/health`)).rejects.toThrow();
    app = undefined;
  });
});
