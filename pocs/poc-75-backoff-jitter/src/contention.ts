/**
 * The live version of the experiment: N real clients, each on its own Postgres connection,
 * race to bump one row's version with a conditional UPDATE, retrying with shared retry().
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BackoffOptions, seededRandom } from '@pocs/shared/backoff';
import { createPool } from '@pocs/shared/pool';
import { retry } from '@pocs/shared/retry';
import type pg from 'pg';
import { isVersionConflictError, VersionConflictError } from './errors.ts';

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

export async function createContendedRow(client: pg.ClientBase, table: string): Promise<void> {
  if (!identifier.test(table))
    throw new Error(`table must be a lower-case SQL identifier, got "${table}"`);
  await client.query(
    `create table if not exists ${table} (id int primary key, version int not null)`,
  );
  await client.query(
    `insert into ${table} (id, version) values (1, 0) on conflict (id) do update set version = 0`,
  );
}

export async function dropContendedRow(client: pg.ClientBase, table: string): Promise<void> {
  if (!identifier.test(table))
    throw new Error(`table must be a lower-case SQL identifier, got "${table}"`);
  await client.query(`drop table if exists ${table}`);
}

/**
 * One attempt: read the version, do `thinkMs` of work, write version + 1 only if the row
 * still has the version we read. Throws VersionConflictError when someone wrote first.
 */
export async function conditionalWrite(
  client: pg.ClientBase,
  table: string,
  { id = 1, thinkMs = 0 }: { id?: number; thinkMs?: number } = {},
): Promise<number> {
  const read = await client.query<{ version: number }>(
    `select version from ${table} where id = $1`,
    [id],
  );
  const version = read.rows[0]?.version;
  if (version === undefined) throw new Error(`no row ${id} in ${table}`);
  if (thinkMs > 0) await sleep(thinkMs);
  const write = await client.query(
    `update ${table} set version = version + 1 where id = $1 and version = $2`,
    [id, version],
  );
  if (write.rowCount !== 1) throw new VersionConflictError(version);
  return version + 1;
}

export interface ContentionResult {
  clients: number;
  strategy: BackoffOptions['strategy'];
  /** Conditional UPDATEs sent, successful or not. */
  calls: number;
  /** Wall time until the last client's write succeeded, ms. */
  completionMs: number;
  /** The row's version at the end: must equal `clients` (each wrote exactly once). */
  finalVersion: number;
}

export async function runContention({
  postgresUrl,
  table,
  clients,
  backoff,
  thinkMs,
  seed,
}: {
  postgresUrl: string;
  table: string;
  clients: number;
  backoff: BackoffOptions;
  /** Work between reading the version and writing it, ms: the window a conflict can hit. */
  thinkMs: number;
  seed: number;
}): Promise<ContentionResult> {
  // The shared pool, not a bare pg.Pool: every connection has an 'error' listener for its whole
  // life, so a Postgres restart or pg_terminate_backend mid-run fails the run with an error
  // instead of crashing the bench, and connects and queries are bounded.
  const pool = createPool({
    connectionString: postgresUrl,
    name: 'contention',
    applicationName: 'poc-75',
    max: clients + 1,
    acquireTimeoutMs: 10_000,
  });
  try {
    const admin = await pool.acquire();
    // Every client holds its own connection for the whole run, opened before the start.
    // Should one fail to open, pool.end() below destroys the ones already held.
    const conns = await Promise.all(Array.from({ length: clients }, () => pool.acquire()));
    try {
      await createContendedRow(admin, table);
      let calls = 0;
      const start = performance.now();
      await Promise.all(
        conns.map((conn, i) =>
          retry(
            () => {
              calls++;
              return conditionalWrite(conn, table, { thinkMs });
            },
            {
              backoff,
              maxAttempts: 10_000,
              random: seededRandom(seed * 1_000 + i),
              // Only a lost race is retried: a lost or frozen connection (a retriable 503 in a
              // service) ends this run, instead of 10 000 attempts on a dead client.
              isRetriable: isVersionConflictError,
            },
          ),
        ),
      );
      const completionMs = Math.round(performance.now() - start);
      const { rows } = await admin.query<{ version: number }>(
        `select version from ${table} where id = 1`,
      );
      return {
        clients,
        strategy: backoff.strategy,
        calls,
        completionMs,
        finalVersion: rows[0]!.version,
      };
    } finally {
      await dropContendedRow(admin, table).catch(() => {});
      for (const c of conns) c.release();
      admin.release();
    }
  } finally {
    await pool.end();
  }
}
