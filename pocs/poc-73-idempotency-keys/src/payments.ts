import { NO_CONTROL_CHARACTERS } from '@pocs/shared/http-inputs';
import type { InstrumentedPool } from '@pocs/shared/pool';
import type { QueryResult, QueryResultRow } from 'pg';

export const MAX_PAYMENT_CENTS = 1_000_000;

export interface PaymentRow {
  id: string;
  client_id: string;
  order_id: string;
  amount_cents: number;
  status: 'pending' | 'succeeded' | 'declined' | 'failed';
  provider_key: string;
  provider_charge_id: string | null;
}

export interface PaymentBody {
  amountCents: number;
  orderId: string;
  description?: string;
}

/**
 * Types are exact (the shared server never coerces a body: `"100"` is a 400), unknown
 * properties are a 400, integers fit `amount_cents integer`, and text has a length and no
 * control characters (Postgres rejects NUL in text: a 500 before this pattern).
 */
export const paymentBodySchema = {
  type: 'object',
  required: ['amountCents', 'orderId'],
  additionalProperties: false,
  properties: {
    amountCents: { type: 'integer', minimum: 1, maximum: MAX_PAYMENT_CENTS },
    orderId: { type: 'string', minLength: 1, maxLength: 100, pattern: NO_CONTROL_CHARACTERS },
    description: { type: 'string', maxLength: 200, pattern: NO_CONTROL_CHARACTERS },
  },
} as const;

export async function migratePayments(pool: InstrumentedPool, schema: string): Promise<void> {
  await pool.withClient(async (client) => {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`${schema}.payments`]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      // provider_key is the Idempotency-Key this payment sends to the provider: made once,
      // in the first phase, so every resumed attempt charges under the same key.
      await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.payments (
        id                 bigserial PRIMARY KEY,
        client_id          text    NOT NULL,
        idempotency_key    text,
        key_generation     text UNIQUE,
        order_id           text    NOT NULL,
        amount_cents       integer NOT NULL,
        status             text    NOT NULL,
        provider_key       uuid    NOT NULL DEFAULT gen_random_uuid(),
        provider_charge_id text,
        created_at         timestamptz NOT NULL DEFAULT now()
      )`);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`${schema}.payments`]);
    }
  });
}

/** A pooled client inside a transaction, or the pool itself. */
interface Queryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

export function paymentsTable(schema: string) {
  const table = `${schema}.payments`;
  return {
    table,
    async insert(
      db: Queryable,
      p: {
        clientId: string;
        key: string | null;
        generation: string | null;
        orderId: string;
        amountCents: number;
      },
    ): Promise<PaymentRow> {
      const { rows } = await db.query<PaymentRow>(
        `INSERT INTO ${table} (client_id, idempotency_key, key_generation, order_id, amount_cents, status)
         VALUES ($1, $2, $3, $4, $5, 'pending') RETURNING *`,
        [p.clientId, p.key, p.generation, p.orderId, p.amountCents],
      );
      return rows[0]!;
    },
    /** The payment made under one use of an idempotency key. */
    async byKeyGeneration(db: Queryable, generation: string): Promise<PaymentRow | undefined> {
      const { rows } = await db.query<PaymentRow>(
        `SELECT * FROM ${table} WHERE key_generation = $1`,
        [generation],
      );
      return rows[0];
    },
    async settle(
      db: Queryable,
      id: string,
      status: PaymentRow['status'],
      chargeId: string | null,
    ): Promise<void> {
      await db.query(`UPDATE ${table} SET status = $2, provider_charge_id = $3 WHERE id = $1`, [
        id,
        status,
        chargeId,
      ]);
    },
  };
}

export type PaymentsTable = ReturnType<typeof paymentsTable>;

export const paymentView = (p: PaymentRow) => ({
  paymentId: `pay_${p.id}`,
  orderId: p.order_id,
  amountCents: p.amount_cents,
  status: p.status,
  chargeId: p.provider_charge_id,
});
