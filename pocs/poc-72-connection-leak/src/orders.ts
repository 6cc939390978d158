import type { InstrumentedPool, PoolClient } from '@pocs/shared/pool';

/** The largest refund one request may ask for (the body schema's maximum), in cents. */
export const MAX_REFUND_CENTS = 10_000_000;
/** Seeded orders capture between 1,000,000 and this many cents, so MAX_REFUND_CENTS always exceeds the balance. */
export const MAX_CAPTURED_CENTS = 1_999_999;

/** Fully qualified table names inside one schema (validated as an identifier by config). */
export interface OrderTables {
  schema: string;
  orders: string;
  refunds: string;
}

export function orderTables(schema: string): OrderTables {
  return { schema, orders: `"${schema}".orders`, refunds: `"${schema}".refunds` };
}

export interface Order {
  id: number;
  customerId: number;
  capturedCents: number;
  refundedCents: number;
  refundableCents: number;
}

export interface RefundRequest {
  orderId: number;
  amountCents: number;
  reason?: string | undefined;
}

export interface Refund {
  refundId: string;
  orderId: number;
  amountCents: number;
  /** What is left to refund on the order after this one. */
  refundableCents: number;
}

/**
 * Create the schema and seed SEED_ORDERS orders once. Several processes may start at
 * once on the same schema, so seeding is serialised with an advisory lock.
 */
export async function ensureOrders(
  pool: InstrumentedPool,
  db: OrderTables,
  count: number,
): Promise<void> {
  await pool.withClient(async (client) => {
    await client.query('begin');
    try {
      await client.query('select pg_advisory_xact_lock(72, hashtext($1))', [db.schema]);
      await client.query(`
        create schema if not exists "${db.schema}";
        create table if not exists ${db.orders} (
          id int primary key,
          customer_id int not null,
          captured_cents int not null check (captured_cents > 0),
          refunded_cents int not null default 0,
          created_at timestamptz not null default now(),
          check (refunded_cents between 0 and captured_cents)
        );
        create table if not exists ${db.refunds} (
          id bigint generated always as identity primary key,
          order_id int not null references ${db.orders} (id),
          amount_cents int not null check (amount_cents > 0),
          reason text,
          created_at timestamptz not null default now()
        );
        create index if not exists refunds_order_id on ${db.refunds} (order_id);
      `);
      const { rows } = await client.query<{ n: number }>(
        `select count(*)::int as n from ${db.orders}`,
      );
      if (rows[0]?.n !== count) {
        await client.query(`truncate ${db.refunds}, ${db.orders}`);
        await client.query(
          `insert into ${db.orders} (id, customer_id, captured_cents, created_at)
           select g, 1 + (g::bigint * 7919) % 5000, $2::int - (g::bigint * 104729) % 1000000,
                  now() - (g % 90) * interval '1 day'
           from generate_series(1, $1::int) g`,
          [count, MAX_CAPTURED_CENTS],
        );
      }
      await client.query('commit');
    } catch (err) {
      await client.query('rollback');
      throw err;
    }
  });
}

const ORDER_COLUMNS = `id, customer_id as "customerId", captured_cents as "capturedCents",
  refunded_cents as "refundedCents", captured_cents - refunded_cents as "refundableCents"`;

export async function getOrder(
  pool: InstrumentedPool,
  db: OrderTables,
  orderId: number,
): Promise<Order | undefined> {
  const { rows } = await pool.query<Order>(
    `select ${ORDER_COLUMNS} from ${db.orders} where id = $1`,
    [orderId],
  );
  return rows[0];
}

/** The steps of a refund, each one query on a client the caller holds inside a transaction. */
export const refundSteps = {
  async selectOrder(
    client: PoolClient,
    db: OrderTables,
    orderId: number,
  ): Promise<Order | undefined> {
    const { rows } = await client.query<Order>(
      `select ${ORDER_COLUMNS} from ${db.orders} where id = $1`,
      [orderId],
    );
    return rows[0];
  },

  async insertRefund(client: PoolClient, db: OrderTables, r: RefundRequest): Promise<string> {
    const { rows } = await client.query<{ id: string }>(
      `insert into ${db.refunds} (order_id, amount_cents, reason) values ($1, $2, $3) returning id`,
      [r.orderId, r.amountCents, r.reason ?? null],
    );
    return rows[0]!.id;
  },

  /**
   * Take the amount off the order's balance in one guarded statement, so two refunds at
   * once can never over-refund. Returns what is left, or undefined if the balance was short.
   */
  async debitOrder(client: PoolClient, db: OrderTables, r: RefundRequest) {
    const { rows } = await client.query<{ refundableCents: number }>(
      `update ${db.orders} set refunded_cents = refunded_cents + $2
       where id = $1 and captured_cents - refunded_cents >= $2
       returning captured_cents - refunded_cents as "refundableCents"`,
      [r.orderId, r.amountCents],
    );
    return rows[0]?.refundableCents;
  },
};
