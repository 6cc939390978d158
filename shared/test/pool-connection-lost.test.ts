import pg from 'pg';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseUnavailableError, isConnectionLost } from '../src/errors.ts';
import { silentLogger } from '../src/log.ts';
import { createPool, type InstrumentedPool } from '../src/pool.ts';
import { createServer } from '../src/server.ts';
import { postgresUrl } from './pg-url.ts';

// A checked-out client whose connection dies (Postgres restarted, backend terminated, peer
// reset) used to emit 'error' with no listener: pg-pool removes its own while the client is
// leased, and Node turned that into an uncaught exception that exited the POC. These tests
// kill the real backend from the server side, as `pg_terminate_backend` or a restart does.

let pool: InstrumentedPool | undefined;
afterEach(async () => {
  await pool?.end();
  pool = undefined;
});

async function terminateBackend(pid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  try {
    await admin.query('select pg_terminate_backend($1)', [pid]);
  } finally {
    await admin.end();
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a leased client whose connection dies', () => {
  it('is reported, not thrown; destroyed on release; the pool serves the next query', async () => {
    pool = createPool({ connectionString: postgresUrl, max: 2, acquireTimeoutMs: 2_000 });
    const errors: Error[] = [];
    pool.on('clientError', ({ err }) => errors.push(err));
    const client = await pool.acquire();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    await terminateBackend(rows[0]!.pid);
    await until(() => errors.length > 0, 'the leased client to see its connection end');

    // pg reports the server's FATAL 57P01 and then the closed socket: both mean "gone".
    expect(errors.map(isConnectionLost)).toEqual(errors.map(() => true));
    client.release();
    expect(pool.stats()).toMatchObject({ total: 0, leased: 0 });
    const next = await pool.query<{ one: number }>('select 1 as one');
    expect(next.rows[0]?.one).toBe(1);
  });

  it('withClient turns it into a retriable DatabaseUnavailableError', async () => {
    pool = createPool({ connectionString: postgresUrl, max: 1, acquireTimeoutMs: 2_000 });
    const error = await pool
      .withClient(async (client) => {
        const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
        await terminateBackend(rows[0]!.pid);
        return client.query('select 1');
      })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as DatabaseUnavailableError).retriable).toBe(true);
    expect((error as Error).message).toMatch(/^database unavailable: connection lost/);
    expect(pool.stats()).toMatchObject({ total: 0, leased: 0 });
  });
});

describe('a database that refuses connections', () => {
  const refused = 'postgres://postgres:postgres@127.0.0.1:1/postgres';

  it('acquire fails fast with DatabaseUnavailableError', async () => {
    pool = createPool({ connectionString: refused, max: 1, acquireTimeoutMs: 2_000 });
    const startedMs = Date.now();
    const error = await pool.acquire().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(Date.now() - startedMs).toBeLessThan(1_000);
  });

  it('answers 503 with Retry-After through the shared server, not 500', async () => {
    pool = createPool({ connectionString: refused, max: 1, acquireTimeoutMs: 2_000 });
    const p = pool;
    const app = createServer({ logger: silentLogger, registry: new Registry() });
    app.get('/row', async () => (await p.query('select 1')).rows);
    const response = await app.inject({ method: 'GET', url: '/row' });
    await app.close();
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.json()).toMatchObject({
      status: 503,
      title: 'database unavailable, retry later',
    });
  });
});

describe('a database at its connection limit (SQLSTATE 53300)', () => {
  it('acquire fails with DatabaseUnavailableError (503 + Retry-After), not a bare error', async () => {
    // A role of our own with CONNECTION LIMIT 0: the server's max_connections is shared.
    const role = `pool_limit_${process.pid}_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    try {
      await admin.query(`create role ${role} login password 'x' connection limit 0`);
      const url = new URL(postgresUrl);
      url.username = role;
      url.password = 'x';
      pool = createPool({ connectionString: url.toString(), max: 1, acquireTimeoutMs: 2_000 });
      const error = await pool.acquire().catch((err: unknown) => err);
      expect(error).toBeInstanceOf(DatabaseUnavailableError);
      expect((error as Error).message).toContain('too many connections for role');
      expect(((error as Error).cause as { code?: string }).code).toBe('53300');
    } finally {
      await pool?.end();
      pool = undefined;
      await admin.query(`drop role if exists ${role}`);
      await admin.end();
    }
  });
});
