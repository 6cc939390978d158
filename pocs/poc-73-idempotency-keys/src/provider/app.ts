import { NO_CONTROL_CHARACTERS } from '@pocs/shared/http-inputs';
import type { Logger } from '@pocs/shared/log';
import type { Registry } from '@pocs/shared/metrics';
import { createPool, type InstrumentedPool } from '@pocs/shared/pool';
import { createServer, sendProblem } from '@pocs/shared/server';
import type { ProviderConfig } from './config.ts';

/** Charges above this are declined (402), so tests can exercise a stored failure. */
export const CARD_LIMIT_CENTS = 500_000;

export interface Charge {
  id: string;
  amountCents: number;
  reference: string;
}

const chargeBody = {
  type: 'object',
  required: ['amountCents', 'reference'],
  additionalProperties: false,
  properties: {
    amountCents: { type: 'integer', minimum: 1, maximum: 10_000_000 },
    reference: { type: 'string', minLength: 1, maxLength: 200, pattern: NO_CONTROL_CHARACTERS },
  },
} as const;

export async function migrateProvider(pool: InstrumentedPool, schema: string): Promise<void> {
  await pool.withClient(async (client) => {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [schema]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      // The provider's ledger: one row per charge. Its own idempotency key is unique,
      // so a retried charge with the same key finds the first row instead of charging.
      await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.charges (
        id              bigserial PRIMARY KEY,
        idempotency_key text UNIQUE,
        reference       text    NOT NULL,
        amount_cents    integer NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [schema]);
    }
  });
}

/**
 * A fake card processor with Stripe's contract: POST /charges charges once per
 * Idempotency-Key; the same key again returns the first charge (header
 * idempotent-replayed: true) without charging. Without a key every call charges.
 */
export async function buildProviderApp(
  config: Readonly<ProviderConfig>,
  deps: { logger: Logger; registry: Registry },
) {
  const pool = createPool({
    connectionString: config.POSTGRES_URL,
    name: 'provider',
    applicationName: 'poc-73-provider',
    max: config.PROVIDER_POOL_MAX,
    acquireTimeoutMs: 5_000,
    logger: deps.logger,
  });
  const table = `${config.PROVIDER_SCHEMA}.charges`;
  try {
    await migrateProvider(pool, config.PROVIDER_SCHEMA);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const app = createServer({ ...deps, health: () => ({ pool: pool.stats() }) });
  app.addHook('onClose', () => pool.end());

  const toCharge = (row: { id: string; amount_cents: number; reference: string }): Charge => ({
    id: `ch_${row.id}`,
    amountCents: row.amount_cents,
    reference: row.reference,
  });

  app.post<{ Body: { amountCents: number; reference: string } }>(
    '/charges',
    { schema: { body: chargeBody } },
    async (request, reply) => {
      const { amountCents, reference } = request.body;
      if (amountCents > CARD_LIMIT_CENTS) {
        return sendProblem(reply, 402, `card declined: ${amountCents} cents is over the limit`, {
          code: 'card_declined',
        });
      }
      const raw = request.headers['idempotency-key'];
      const key = typeof raw === 'string' && raw.length > 0 ? raw : null;
      const inserted = await pool.query<{ id: string; amount_cents: number; reference: string }>(
        `INSERT INTO ${table} (idempotency_key, reference, amount_cents) VALUES ($1, $2, $3)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, amount_cents, reference`,
        [key, reference, amountCents],
      );
      if (inserted.rows[0]) return reply.code(201).send(toCharge(inserted.rows[0]));
      const { rows } = await pool.query<{ id: string; amount_cents: number; reference: string }>(
        `SELECT id, amount_cents, reference FROM ${table} WHERE idempotency_key = $1`,
        [key],
      );
      const first = rows[0]!;
      if (first.amount_cents !== amountCents || first.reference !== reference) {
        return sendProblem(reply, 422, 'idempotency key already used for another charge', {
          code: 'idempotency_key_reused',
        });
      }
      return reply.code(201).header('idempotent-replayed', 'true').send(toCharge(first));
    },
  );

  return { app, pool };
}
