import { PocError } from '@pocs/shared/errors';
import type { InstrumentedPool, PoolClient } from '@pocs/shared/pool';
import type { OrderEvent } from './order.ts';

export interface Tables {
  schema: string;
  orders: string;
}

/** Identifiers come from config (validated as lower-case SQL identifiers), never from requests. */
export const tables = (schema: string): Tables => ({ schema, orders: `"${schema}".orders` });

/** Where in the log an event came from: stored with the row, so a reader can trace it. */
export interface LogPosition {
  partition: number;
  offset: string;
}

/**
 * One row per order event the consumer wrote. With `uniqueOrderId` the unique index on
 * order_id is the idempotency key: a redelivered event hits it and is skipped.
 */
export async function ensureSchema(
  pool: InstrumentedPool,
  db: Tables,
  uniqueOrderId: boolean,
): Promise<void> {
  await pool.withClient(async (client) => {
    await client.query('begin');
    try {
      // Two processes starting at once would race on create schema; the lock serialises them.
      await client.query(`select pg_advisory_xact_lock(hashtext($1))`, [db.schema]);
      await client.query(`
        create schema if not exists "${db.schema}";
        create table if not exists ${db.orders} (
          id bigserial primary key,
          order_id uuid not null,
          customer_id text not null,
          amount_cents integer not null,
          kafka_partition integer not null,
          kafka_offset bigint not null,
          written_at timestamptz not null default now()
        );
      `);
      await client.query(
        uniqueOrderId
          ? `create unique index if not exists orders_order_id_key on ${db.orders} (order_id)`
          : `drop index if exists "${db.schema}".orders_order_id_key`,
      );
      await client.query('commit');
    } catch (err) {
      await client.query('rollback');
      if ((err as { code?: string }).code === '23505') {
        throw new PocError(
          `cannot add the unique index: ${db.orders} already holds duplicate orders (from a run ` +
            `with BREAK_NO_UNIQUE_ORDER_ID=1?). Use another DB_SCHEMA, or drop schema "${db.schema}"`,
          { cause: err },
        );
      }
      throw err;
    }
  });
}

export interface WriteResult {
  inserted: number;
  /** Events whose order_id was already stored: redeliveries the unique index absorbed. */
  duplicatesSuppressed: number;
}

/**
 * Insert a batch of events in the caller's transaction. `on conflict do nothing` makes
 * the write idempotent; without the unique index it is a plain insert (the fault).
 */
export async function insertOrders(
  client: PoolClient,
  db: Tables,
  events: Array<OrderEvent & LogPosition>,
  uniqueOrderId: boolean,
): Promise<WriteResult> {
  if (events.length === 0) return { inserted: 0, duplicatesSuppressed: 0 };
  const r = await client.query(
    `insert into ${db.orders} (order_id, customer_id, amount_cents, kafka_partition, kafka_offset)
     select * from unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::bigint[])
     ${uniqueOrderId ? 'on conflict (order_id) do nothing' : ''}`,
    [
      events.map((e) => e.orderId),
      events.map((e) => e.customerId),
      events.map((e) => e.amountCents),
      events.map((e) => e.partition),
      events.map((e) => e.offset),
    ],
  );
  const inserted = r.rowCount ?? 0;
  return { inserted, duplicatesSuppressed: events.length - inserted };
}

export interface StoredOrder {
  orderId: string;
  customerId: string;
  amountCents: number;
  partition: number;
  offset: string;
  writtenAt: string;
}

/** Every row for one order: more than one means the consumer wrote it twice. */
export async function findOrder(
  pool: InstrumentedPool,
  db: Tables,
  orderId: string,
): Promise<StoredOrder[]> {
  return pool.withClient(async (client) => {
    const { rows } = await client.query<StoredOrder>(
      `select order_id as "orderId", customer_id as "customerId", amount_cents as "amountCents",
              kafka_partition as "partition", kafka_offset::text as "offset", written_at as "writtenAt"
       from ${db.orders} where order_id = $1 order by id`,
      [orderId],
    );
    return rows;
  });
}

export interface ExactlyOnceReport {
  /** Orders asked about. */
  expected: number;
  /** Of those, how many have no row at all: acknowledged, then lost. */
  missing: number;
  /** Of those, how many have more than one row. */
  duplicated: number;
  /** Rows beyond the first for those orders. */
  extraRows: number;
}

/** The check: count rows by business id (order_id) for every acknowledged order. */
export async function countByOrderId(
  pool: InstrumentedPool,
  db: Tables,
  orderIds: readonly string[],
): Promise<ExactlyOnceReport> {
  return pool.withClient(async (client) => {
    const { rows } = await client.query<{ missing: number; duplicated: number; extra: number }>(
      `with asked as (select unnest($1::uuid[]) as order_id),
            counted as (
              select a.order_id, count(o.id)::int as n
              from asked a left join ${db.orders} o on o.order_id = a.order_id
              group by a.order_id)
       select count(*) filter (where n = 0)::int as missing,
              count(*) filter (where n > 1)::int as duplicated,
              coalesce(sum(greatest(n - 1, 0)), 0)::int as extra
       from counted`,
      [orderIds],
    );
    const row = rows[0]!;
    return {
      expected: orderIds.length,
      missing: row.missing,
      duplicated: row.duplicated,
      extraRows: row.extra,
    };
  });
}

/** The acknowledged orders with no row at all: lost between the 202 and Postgres. */
export async function missingOrderIds(
  pool: InstrumentedPool,
  db: Tables,
  orderIds: readonly string[],
): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `select a.id from unnest($1::uuid[]) as a(id)
     where not exists (select 1 from ${db.orders} o where o.order_id = a.id)`,
    [orderIds],
  );
  return rows.map((r) => r.id);
}

export async function dropSchema(pool: InstrumentedPool, db: Tables): Promise<void> {
  await pool.withClient((client) => client.query(`drop schema if exists "${db.schema}" cascade`));
}
