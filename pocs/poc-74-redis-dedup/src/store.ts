import { PocError } from '@pocs/shared/errors';
import type { InstrumentedPool } from '@pocs/shared/pool';

/** Fully qualified table names inside one schema (validated as an identifier by config). */
export interface Tables {
  schema: string;
  orders: string;
  shipments: string;
  processed: string;
}

export function tables(schema: string): Tables {
  return {
    schema,
    orders: `"${schema}".orders`,
    shipments: `"${schema}".shipments`,
    processed: `"${schema}".processed_messages`,
  };
}

export interface Order {
  orderId: number;
  quantity: number;
}

/** Largest order id the API accepts (a Postgres int). */
export const MAX_ORDER_ID = 2_147_483_647;

/**
 * Create the schema. `uniqueGuard` decides whether shipments(order_id) is unique: the
 * durable last line of defence. The index is dropped when the guard is off, so the
 * switch is honest on a schema that had it before.
 */
export async function ensureSchema(
  pool: InstrumentedPool,
  db: Tables,
  uniqueGuard: boolean,
): Promise<void> {
  await pool.withClient(async (client) => {
    await client.query('begin');
    try {
      await client.query('select pg_advisory_xact_lock(74, hashtext($1))', [db.schema]);
      await client.query(`
        create schema if not exists "${db.schema}";
        create table if not exists ${db.orders} (
          order_id int primary key,
          quantity int not null check (quantity > 0),
          created_at timestamptz not null default now()
        );
        create table if not exists ${db.shipments} (
          id bigint generated always as identity primary key,
          order_id int not null,
          message_id text not null,
          quantity int not null,
          created_at timestamptz not null default now()
        );
        create table if not exists ${db.processed} (
          message_id text primary key,
          processed_at timestamptz not null default now()
        );
      `);
      await client.query(
        uniqueGuard
          ? `create unique index if not exists shipments_order_id_key on ${db.shipments} (order_id)`
          : `drop index if exists "${db.schema}".shipments_order_id_key`,
      );
      await client.query('commit');
    } catch (err) {
      await client.query('rollback');
      if ((err as { code?: string }).code === '23505') {
        throw new PocError(
          `cannot add the unique constraint: ${db.shipments} already holds duplicate shipments ` +
            `(from a run with PG_UNIQUE_GUARD=0?). Use another DB_SCHEMA, or drop schema "${db.schema}"`,
          { cause: err },
        );
      }
      throw err;
    }
  });
}

/** Record an order (the source of truth the replay tool reads); false if it existed. */
export async function recordOrder(
  pool: InstrumentedPool,
  db: Tables,
  order: Order,
): Promise<boolean> {
  return pool.withClient(async (client) => {
    const r = await client.query(
      `insert into ${db.orders} (order_id, quantity) values ($1, $2) on conflict do nothing`,
      [order.orderId, order.quantity],
    );
    return r.rowCount === 1;
  });
}

export async function ordersInRange(
  pool: InstrumentedPool,
  db: Tables,
  fromOrderId: number,
  toOrderId: number,
): Promise<Order[]> {
  return pool.withClient(async (client) => {
    const { rows } = await client.query<Order>(
      `select order_id as "orderId", quantity from ${db.orders}
       where order_id between $1 and $2 order by order_id`,
      [fromOrderId, toOrderId],
    );
    return rows;
  });
}

/**
 * The side effect: ship the order. With the guard, a second shipment for the same order
 * hits the unique index and is dropped (`conflict`); without it, it is a second parcel.
 */
export async function insertShipment(
  pool: InstrumentedPool,
  db: Tables,
  shipment: Order & { messageId: string },
  uniqueGuard: boolean,
): Promise<'inserted' | 'conflict'> {
  return pool.withClient(async (client) => {
    const r = await client.query(
      `insert into ${db.shipments} (order_id, message_id, quantity) values ($1, $2, $3)
       ${uniqueGuard ? 'on conflict (order_id) do nothing' : ''}`,
      [shipment.orderId, shipment.messageId, shipment.quantity],
    );
    return r.rowCount === 1 ? 'inserted' : 'conflict';
  });
}

export interface ShipmentCounts {
  shipments: number;
  ordersShipped: number;
  /** Shipments beyond the first for an order: the duplicate side effects. */
  duplicates: number;
}

/** The detection query: more shipments than shipped orders means duplicates. */
export async function shipmentCounts(pool: InstrumentedPool, db: Tables): Promise<ShipmentCounts> {
  return pool.withClient(async (client) => {
    const { rows } = await client.query<{ shipments: number; orders: number }>(
      `select count(*)::int as shipments, count(distinct order_id)::int as orders from ${db.shipments}`,
    );
    const { shipments, orders } = rows[0]!;
    return { shipments, ordersShipped: orders, duplicates: shipments - orders };
  });
}

export async function shipmentsForOrder(
  pool: InstrumentedPool,
  db: Tables,
  orderId: number,
): Promise<number> {
  return pool.withClient(async (client) => {
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from ${db.shipments} where order_id = $1`,
      [orderId],
    );
    return rows[0]!.n;
  });
}

/** Dedup in Postgres alone (for the bench): one insert, the primary key decides. */
export async function claimInPostgres(
  pool: InstrumentedPool,
  db: Tables,
  messageId: string,
): Promise<boolean> {
  return pool.withClient(async (client) => {
    const r = await client.query(
      `insert into ${db.processed} (message_id) values ($1) on conflict do nothing`,
      [messageId],
    );
    return r.rowCount === 1;
  });
}

/** Record orders 1..count in one statement (experiments; quantities 1..5). */
export async function seedOrders(pool: InstrumentedPool, db: Tables, count: number): Promise<void> {
  await pool.withClient((client) =>
    client.query(
      `insert into ${db.orders} (order_id, quantity)
       select g, 1 + g % 5 from generate_series(1, $1::int) g on conflict do nothing`,
      [count],
    ),
  );
}
