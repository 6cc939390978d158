import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceDefaults } from '../src/config.ts';
import { type IdempotencyStore, idempotency, REPLAYED_HEADER } from '../src/idempotency.ts';
import { createPostgresIdempotencyStore } from '../src/idempotency-store-postgres.ts';
import { createRedisIdempotencyStore } from '../src/idempotency-store-redis.ts';
import { silentLogger } from '../src/log.ts';
import { createRegistry } from '../src/metrics.ts';
import { createPool } from '../src/pool.ts';
import { createServer } from '../src/server.ts';
import { postgresUrl } from './pg-url.ts';

const run = randomUUID().slice(0, 8);
const schema = `idem_t_${run}`;
const redisPrefix = `idem-test:${run}:`;
const pool = createPool({ connectionString: postgresUrl, max: 10, acquireTimeoutMs: 5_000 });
const redis = new Redis(process.env.REDIS_URL ?? serviceDefaults.REDIS_URL);
// As the bench runs it: scripts of concurrent requests share one socket write.
const pipelined = new Redis(process.env.REDIS_URL ?? serviceDefaults.REDIS_URL, {
  enableAutoPipelining: true,
});
const pgStore = createPostgresIdempotencyStore({ pool, schema });

beforeAll(() => pgStore.migrate());
afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  pipelined.disconnect();
});

const stores: [string, () => IdempotencyStore][] = [
  ['postgres', () => pgStore],
  ['redis', () => createRedisIdempotencyStore({ redis, keyPrefix: redisPrefix })],
  [
    'redis, auto-pipelined',
    () => createRedisIdempotencyStore({ redis: pipelined, keyPrefix: `${redisPrefix}p:` }),
  ],
];

/** A route whose side effect is counted: how many times the handler really ran. */
async function build(store: IdempotencyStore, clock: { now: number }) {
  const app = createServer({
    logger: silentLogger,
    registry: createRegistry({ defaultMetrics: false }),
  });
  const ran: number[] = [];
  let gate: Promise<void> = Promise.resolve();
  await app.register(idempotency, {
    store,
    scope: (request) => String(request.headers['x-tenant'] ?? 'anonymous'),
    retentionMs: 60_000,
    now: () => clock.now,
  });
  app.post<{ Body: { n: number } }>(
    '/widgets',
    {
      config: { idempotency: 'required' },
      schema: {
        body: {
          type: 'object',
          required: ['n'],
          properties: { n: { type: 'integer', minimum: 0 } },
        },
      },
    },
    async (request, reply) => {
      ran.push(request.body.n);
      await gate;
      if (request.body.n === 500) throw new Error('boom');
      return reply.code(201).send({ widget: ran.length, n: request.body.n });
    },
  );
  return {
    app,
    ran,
    hold: () => {
      let open: (() => void) | undefined;
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      return () => open?.();
    },
  };
}

const post = (app: FastifyInstance, key: string | undefined, n: number, tenant = 't1') =>
  app.inject({
    method: 'POST',
    url: '/widgets',
    headers: { 'x-tenant': tenant, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    payload: { n },
  });

describe.each(stores)('idempotency plugin with the %s store', (_name, makeStore) => {
  const clock = { now: Date.UTC(2026, 0, 1) };
  let t: Awaited<ReturnType<typeof build>>;
  beforeAll(async () => {
    t = await build(makeStore(), clock);
  });
  afterAll(() => t.app.close());
  const key = (label: string) => `${label}-${randomUUID()}`;

  it('runs the first request once and replays status and body with a replay header', async () => {
    const k = key('replay');
    const first = await post(t.app, k, 1);
    const again = await post(t.app, k, 1);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.body).toBe(first.body);
    expect(again.headers[REPLAYED_HEADER]).toBe('true');
    expect(t.ran.filter((n) => n === 1)).toHaveLength(1);
  });

  it('stores a 5xx too: the retry gets the same 500 without running again', async () => {
    const k = key('fail');
    const before = t.ran.length;
    const first = await post(t.app, k, 500);
    const again = await post(t.app, k, 500);
    expect([first.statusCode, again.statusCode]).toEqual([500, 500]);
    expect(again.body).toBe(first.body);
    expect(t.ran.length).toBe(before + 1);
  });

  it('answers 422 for the same key with another body, without running', async () => {
    const k = key('mismatch');
    await post(t.app, k, 2);
    const before = t.ran.length;
    const res = await post(t.app, k, 3);
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('idempotency_key_reused');
    expect(t.ran.length).toBe(before);
  });

  it('answers 409 while the first request is in flight', async () => {
    const k = key('inflight');
    const open = t.hold();
    const first = post(t.app, k, 4);
    await expect.poll(() => t.ran.includes(4)).toBe(true);
    const second = await post(t.app, k, 4);
    expect(second.statusCode).toBe(409);
    expect(second.headers['retry-after']).toBe('1');
    open();
    expect((await first).statusCode).toBe(201);
    expect(t.ran.filter((n) => n === 4)).toHaveLength(1);
  });

  it('does not store a validation failure: the corrected retry runs', async () => {
    const k = key('invalid');
    const bad = await post(t.app, k, -1);
    expect(bad.statusCode).toBe(400);
    const good = await post(t.app, k, 6);
    expect(good.statusCode).toBe(201);
    expect(good.headers[REPLAYED_HEADER]).toBeUndefined();
  });

  it('rejects a missing, empty or oversized key with 400 and never runs', async () => {
    const before = t.ran.length;
    for (const bad of [undefined, '', 'x'.repeat(256)]) {
      const res = await post(t.app, bad, 7);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect(t.ran.length).toBe(before);
  });

  it('scopes keys per client: the same key in two tenants runs twice', async () => {
    const k = key('scope');
    const a = await post(t.app, k, 8, 'tenant-a');
    const b = await post(t.app, k, 9, 'tenant-b');
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(b.headers[REPLAYED_HEADER]).toBeUndefined();
  });

  it('treats a key past its retention as new (injected clock)', async () => {
    const k = key('expiry');
    await post(t.app, k, 10);
    clock.now += 59_999;
    expect((await post(t.app, k, 11)).statusCode).toBe(422);
    clock.now += 1;
    const fresh = await post(t.app, k, 11);
    expect(fresh.statusCode).toBe(201);
    expect(fresh.headers[REPLAYED_HEADER]).toBeUndefined();
  });
});

describe('postgres atomic phases', () => {
  it('commits the work with its recovery point; a lost lock runs nothing', async () => {
    const ref = { scope: 's', key: key(), lockId: randomUUID() };
    const begun = await pgStore.begin({
      ...ref,
      fingerprint: 'f',
      nowMs: 1_000,
      retentionMs: 60_000,
      lockTimeoutMs: 100,
    });
    expect(begun).toMatchObject({ outcome: 'started', resumed: false });
    await pgStore.atomicPhase(ref, async () => ({ recoveryPoint: 'step_1', value: undefined }));
    // A crashed owner: after the lock timeout a retry takes over at step_1.
    const retry = { ...ref, lockId: randomUUID() };
    const resumed = await pgStore.begin({
      ...retry,
      fingerprint: 'f',
      nowMs: 1_100,
      retentionMs: 60_000,
      lockTimeoutMs: 100,
    });
    expect(resumed).toMatchObject({ outcome: 'started', resumed: true, recoveryPoint: 'step_1' });
    let ranStale = false;
    await expect(
      pgStore.atomicPhase(ref, async () => {
        ranStale = true;
        return { recoveryPoint: 'step_2', value: undefined };
      }),
    ).rejects.toThrow(/lost the lock/);
    expect(ranStale).toBe(false);
    expect(
      await pgStore.complete(ref, { status: 201, body: '{}', contentType: 'application/json' }),
    ).toBe(false);
  });
});

function key() {
  return `phase-${randomUUID()}`;
}
