import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { isDatabaseUnavailableError, QueryTimeoutError } from '../src/errors.ts';
import { silentLogger } from '../src/log.ts';
import { createRegistry } from '../src/metrics.ts';
import { createPool, type InstrumentedPool } from '../src/pool.ts';
import { registerPoolMetrics } from '../src/pool-metrics.ts';
import { parsePrometheusText, sumOf } from '../src/prom-text.ts';
import { createServer } from '../src/server.ts';
import { createToxiproxy, type ProxyHandle, viaProxy } from '../src/toxiproxy.ts';
import { postgresUrl } from './pg-url.ts';

// A frozen Postgres or a silent partition: toxiproxy's `timeout` toxic (timeout 0) drops the
// server's answers and keeps the connection open. No FIN, no RST, no error: without a
// client-side bound the query waits forever and holds its pool slot. The toxic is on this
// test's own proxy (a fixed port, like toxiproxy.test.ts); the shared Postgres is untouched.

const QUERY_TIMEOUT_MS = 1_000;
// The test's own bound: 3× the query timeout. Long enough that load on the machine cannot make
// a working timeout miss it, short enough that the old code (no bound) fails here, not hangs.
const TEST_BOUND_MS = 3 * QUERY_TIMEOUT_MS;
const FROZEN = { name: 'frozen', type: 'timeout', attributes: { timeout: 0 } } as const;

let proxy: ProxyHandle | undefined;
let pool: InstrumentedPool | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await proxy?.removeToxic(FROZEN.name);
  await app?.close();
  await pool?.end();
  await proxy?.delete();
  app = undefined;
  pool = undefined;
  proxy = undefined;
});

async function frozenPool(): Promise<InstrumentedPool> {
  const upstream = new URL(postgresUrl);
  proxy = await createToxiproxy().createProxy({
    name: `shared_query_timeout_${process.pid}`,
    listen: '127.0.0.1:25997',
    upstream: `${upstream.hostname}:${upstream.port}`,
  });
  pool = createPool({
    connectionString: viaProxy(postgresUrl, proxy.listen),
    max: 1,
    acquireTimeoutMs: 2_000,
    statementTimeoutMs: 500,
    queryTimeoutMs: QUERY_TIMEOUT_MS,
  });
  return pool;
}

const backendPid = async (p: InstrumentedPool) =>
  (await p.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;

/** How the promise settled within boundMs, and when; 'pending' if it had not by then. */
async function settleWithin(
  promise: Promise<unknown>,
  boundMs: number,
): Promise<{ outcome: 'resolved' | 'rejected' | 'pending'; value?: unknown; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<{ outcome: 'pending' }>((resolve) => {
    timer = setTimeout(() => resolve({ outcome: 'pending' }), boundMs);
  });
  const settled = await Promise.race([
    promise.then(
      (value) => ({ outcome: 'resolved' as const, value }),
      (value: unknown) => ({ outcome: 'rejected' as const, value }),
    ),
    pending,
  ]);
  clearTimeout(timer);
  return { ...settled, ms: performance.now() - started };
}

describe('a query on an open connection whose server stops answering', () => {
  it('fails within its bound with a retriable QueryTimeoutError, the client is destroyed, and the pool recovers', async () => {
    const p = await frozenPool();
    const registry = createRegistry();
    registerPoolMetrics(p, registry);
    const timeouts: number[] = [];
    p.on('queryTimeout', ({ timeoutMs }) => timeouts.push(timeoutMs));
    const frozenPid = await backendPid(p); // the connection is open before the freeze
    expect(p.stats()).toMatchObject({ total: 1, idle: 1 });

    await proxy!.addToxic(FROZEN);
    const { outcome, value: err, ms } = await settleWithin(p.query('select 1'), TEST_BOUND_MS);

    expect(outcome).toBe('rejected'); // 'pending': still waiting after 3× the bound
    expect(err).toBeInstanceOf(QueryTimeoutError);
    expect(isDatabaseUnavailableError(err)).toBe(true);
    expect((err as QueryTimeoutError).retriable).toBe(true);
    expect((err as QueryTimeoutError).timeoutMs).toBe(QUERY_TIMEOUT_MS);
    expect((err as Error).message).toBe(
      `database unavailable: no answer to a query within ${QUERY_TIMEOUT_MS} ms`,
    );
    // It waited for the bound (nothing else failed it early), and gave up well within 3× it.
    expect(ms).toBeGreaterThanOrEqual(QUERY_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(TEST_BOUND_MS);
    // The busy client was destroyed, not handed back: the pool holds no client at all.
    expect(p.stats()).toMatchObject({ total: 0, idle: 0, leased: 0 });
    expect(timeouts).toEqual([QUERY_TIMEOUT_MS]);
    const text = await registry.metrics();
    expect(sumOf(parsePrometheusText(text), 'db_pool_query_timeouts_total')).toBe(1);

    await proxy!.removeToxic(FROZEN.name);
    // A fresh connection answers; the frozen one was never reused.
    expect(await backendPid(p)).not.toBe(frozenPid);
    expect(p.stats()).toMatchObject({ total: 1, idle: 1, leased: 0 });
  });

  it('a ROLLBACK after the timeout, on the same client, fails at once instead of waiting again', async () => {
    const p = await frozenPool();
    let timeouts = 0;
    p.on('queryTimeout', () => timeouts++);
    let rollbackMs = Number.NaN;
    const run = p.withClient(async (client) => {
      await client.query('begin');
      await proxy!.addToxic(FROZEN);
      try {
        return await client.query('select 1');
      } catch (err) {
        // The usual catch block. It must not queue behind the abandoned query for a second bound.
        const started = performance.now();
        await client.query('rollback').finally(() => {
          rollbackMs = performance.now() - started;
        });
        throw err;
      }
    });
    const { outcome, value: err } = await settleWithin(run, TEST_BOUND_MS);
    expect(outcome).toBe('rejected');
    expect(err).toBeInstanceOf(QueryTimeoutError);
    expect((err as Error).message).toBe(
      `query not sent: an earlier query on this client timed out after ${QUERY_TIMEOUT_MS} ms`,
    );
    expect(timeouts).toBe(1); // the select's; the rollback was refused, not timed out
    expect(rollbackMs).toBeLessThan(QUERY_TIMEOUT_MS);
    expect(p.stats()).toMatchObject({ total: 0, leased: 0 });
  });

  it('answers 503 with Retry-After through the shared server, then 200 once the server answers again', async () => {
    const p = await frozenPool();
    app = createServer({ logger: silentLogger, registry: createRegistry() });
    app.get('/row', async () => (await p.query<{ one: number }>('select 1 as one')).rows[0]);
    expect((await app.inject({ method: 'GET', url: '/row' })).statusCode).toBe(200);

    await proxy!.addToxic(FROZEN);
    const { outcome, value, ms } = await settleWithin(
      app.inject({ method: 'GET', url: '/row' }),
      TEST_BOUND_MS,
    );
    expect(outcome).toBe('resolved');
    expect(ms).toBeLessThan(TEST_BOUND_MS);
    const response = value as Awaited<ReturnType<FastifyInstance['inject']>>;
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.json()).toMatchObject({
      status: 503,
      title: 'database unavailable, retry later',
    });

    await proxy!.removeToxic(FROZEN.name);
    const after = await app.inject({ method: 'GET', url: '/row' });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toEqual({ one: 1 });
  });
});
