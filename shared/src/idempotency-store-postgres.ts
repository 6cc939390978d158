import {
  type BeginInput,
  type BeginResult,
  IdempotencyLockLostError,
  type IdempotencyStore,
  type KeyRef,
  type StoredResponse,
} from './idempotency-store.ts';
import type { InstrumentedPool, PoolClient } from './pool.ts';

interface KeyRow {
  fingerprint: string;
  expires_at_ms: string;
  locked_by: string | null;
  locked_at_ms: string | null;
  recovery_point: string;
  generation: string;
  response_status: number | null;
  response_body: string | null;
  response_type: string | null;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Durable idempotency keys in Postgres, after Brandur Leach's "Implementing Stripe-like
 * Idempotency Keys in Postgres": one row per (scope, key) holding the request fingerprint,
 * a lock, the recovery point reached so far and, once finished, the response.
 * Local work runs in atomicPhase(): the work and the recovery-point move commit together,
 * so a crashed request resumes from its last recovery point and never redoes a phase.
 */
export class PostgresIdempotencyStore implements IdempotencyStore {
  readonly kind = 'postgres';
  readonly table: string;
  readonly #pool: InstrumentedPool;
  readonly #schema: string;

  constructor({ pool, schema }: { pool: InstrumentedPool; schema: string }) {
    if (!IDENTIFIER.test(schema)) {
      throw new Error(`schema must be a lower-case SQL identifier, got ${JSON.stringify(schema)}`);
    }
    this.#pool = pool;
    this.#schema = schema;
    this.table = `${schema}.idempotency_keys`;
  }

  /** Create the schema and table if missing (safe to call from every process). */
  async migrate(): Promise<void> {
    await this.#pool.withClient(async (client) => {
      // Two processes migrating at once would race on CREATE ... IF NOT EXISTS.
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [this.table]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.#schema}`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
          scope           text   NOT NULL,
          key             text   NOT NULL,
          fingerprint     text   NOT NULL,
          created_at_ms   bigint NOT NULL,
          expires_at_ms   bigint NOT NULL,
          locked_by       text,
          locked_at_ms    bigint,
          recovery_point  text   NOT NULL DEFAULT 'started',
          generation      text   NOT NULL,
          response_status integer,
          response_body   text,
          response_type   text,
          PRIMARY KEY (scope, key)
        )`);
        await client.query(
          `CREATE INDEX IF NOT EXISTS idempotency_keys_expires ON ${this.table} (expires_at_ms)`,
        );
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [this.table]);
      }
    });
  }

  async begin(input: BeginInput): Promise<BeginResult> {
    const { scope, key, fingerprint, nowMs, retentionMs, lockTimeoutMs, lockId } = input;
    // Fast path, one round trip: a new key is inserted already locked by this request.
    const inserted = await this.#pool.query(
      `INSERT INTO ${this.table} (scope, key, fingerprint, created_at_ms, expires_at_ms, locked_by, locked_at_ms, generation)
       VALUES ($1, $2, $3, $4, $5, $6, $4, $6) ON CONFLICT (scope, key) DO NOTHING RETURNING 1`,
      [scope, key, fingerprint, nowMs, nowMs + retentionMs, lockId],
    );
    if (inserted.rowCount === 1) {
      return { outcome: 'started', resumed: false, recoveryPoint: 'started', generation: lockId };
    }

    return this.#transaction(async (client) => {
      const { rows } = await client.query<KeyRow>(
        `SELECT * FROM ${this.table} WHERE scope = $1 AND key = $2 FOR UPDATE`,
        [scope, key],
      );
      const row = rows[0];
      if (!row || Number(row.expires_at_ms) <= nowMs) {
        // Expired (or purged between the two statements): the key is new again.
        await client.query(
          `INSERT INTO ${this.table} (scope, key, fingerprint, created_at_ms, expires_at_ms, locked_by, locked_at_ms, generation)
           VALUES ($1, $2, $3, $4, $5, $6, $4, $6)
           ON CONFLICT (scope, key) DO UPDATE SET fingerprint = $3, created_at_ms = $4,
             expires_at_ms = $5, locked_by = $6, locked_at_ms = $4, recovery_point = 'started',
             generation = $6,
             response_status = NULL, response_body = NULL, response_type = NULL`,
          [scope, key, fingerprint, nowMs, nowMs + retentionMs, lockId],
        );
        return { outcome: 'started', resumed: false, recoveryPoint: 'started', generation: lockId };
      }
      if (row.fingerprint !== fingerprint) return { outcome: 'mismatch' };
      if (row.response_status !== null) {
        return {
          outcome: 'replay',
          response: {
            status: row.response_status,
            body: row.response_body ?? '',
            contentType: row.response_type ?? 'application/json; charset=utf-8',
          },
        };
      }
      const lockedForMs = nowMs - Number(row.locked_at_ms ?? 0);
      if (row.locked_by !== null && lockedForMs < lockTimeoutMs) {
        return { outcome: 'in_flight', lockedForMs };
      }
      await client.query(
        `UPDATE ${this.table} SET locked_by = $3, locked_at_ms = $4 WHERE scope = $1 AND key = $2`,
        [scope, key, lockId, nowMs],
      );
      return {
        outcome: 'started',
        resumed: true,
        recoveryPoint: row.recovery_point,
        generation: row.generation,
      };
    });
  }

  async complete(ref: KeyRef, response: StoredResponse): Promise<boolean> {
    const result = await this.#pool.query(
      `UPDATE ${this.table} SET response_status = $4, response_body = $5, response_type = $6,
         recovery_point = 'finished', locked_by = NULL, locked_at_ms = NULL
       WHERE scope = $1 AND key = $2 AND locked_by = $3`,
      [ref.scope, ref.key, ref.lockId, response.status, response.body, response.contentType],
    );
    return result.rowCount === 1;
  }

  async release(ref: KeyRef): Promise<void> {
    await this.#pool.query(
      `UPDATE ${this.table} SET locked_by = NULL, locked_at_ms = NULL
       WHERE scope = $1 AND key = $2 AND locked_by = $3`,
      [ref.scope, ref.key, ref.lockId],
    );
  }

  async setRecoveryPoint(ref: KeyRef, recoveryPoint: string): Promise<boolean> {
    const result = await this.#pool.query(
      `UPDATE ${this.table} SET recovery_point = $4 WHERE scope = $1 AND key = $2 AND locked_by = $3`,
      [ref.scope, ref.key, ref.lockId, recoveryPoint],
    );
    return result.rowCount === 1;
  }

  /**
   * One atomic phase: `fn`'s local work and the move to its recovery point commit in one
   * transaction, or neither does. Throws IdempotencyLockLostError (nothing run) when the
   * request no longer owns the key. Never call a foreign service inside `fn`.
   */
  async atomicPhase<T>(
    ref: KeyRef,
    fn: (client: PoolClient) => Promise<{ recoveryPoint: string; value: T }>,
  ): Promise<T> {
    return this.#transaction(async (client) => {
      const owned = await client.query(
        `SELECT 1 FROM ${this.table} WHERE scope = $1 AND key = $2 AND locked_by = $3 FOR UPDATE`,
        [ref.scope, ref.key, ref.lockId],
      );
      if (owned.rowCount !== 1) throw new IdempotencyLockLostError(ref);
      const { recoveryPoint, value } = await fn(client);
      await client.query(
        `UPDATE ${this.table} SET recovery_point = $3 WHERE scope = $1 AND key = $2`,
        [ref.scope, ref.key, recoveryPoint],
      );
      return value;
    });
  }

  /** Delete keys past their retention; returns how many. Run it on a timer. */
  async purgeExpired(nowMs: number): Promise<number> {
    const result = await this.#pool.query(
      `DELETE FROM ${this.table} WHERE expires_at_ms <= $1 AND locked_by IS NULL`,
      [nowMs],
    );
    return result.rowCount ?? 0;
  }

  async #transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.#pool.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const value = await fn(client);
        await client.query('COMMIT');
        return value;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }
}

export function createPostgresIdempotencyStore(options: {
  pool: InstrumentedPool;
  schema: string;
}): PostgresIdempotencyStore {
  return new PostgresIdempotencyStore(options);
}
