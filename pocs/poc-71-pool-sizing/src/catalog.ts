import type { InstrumentedPool, PoolClient } from '@pocs/shared/pool';

export const CATEGORY_COUNT = 50;

/**
 * A small shop catalogue: products with an index on category, and orders with an
 * index on product_id. Seeded once with generate_series so start-up stays fast.
 */
export async function ensureCatalog(pool: InstrumentedPool, products: number): Promise<void> {
  await pool.withClient(async (client) => {
    // Already seeded: only read, so the service can run as a role that may only select from
    // the catalogue (the too-large break runs it as one, under a connection limit).
    if ((await seededProducts(client)) === products) return;
    // Several processes (tests, bench children) may start at once: serialise seeding,
    // and seed in one transaction so a crash never leaves products without orders.
    await client.query('begin');
    try {
      await client.query('select pg_advisory_xact_lock(71)');
      await client.query(`
        create table if not exists poc71_products (
          id bigint primary key,
          sku text not null unique,
          name text not null,
          category int not null,
          price_cents int not null,
          stock int not null
        );
        create index if not exists poc71_products_category on poc71_products (category);
        create table if not exists poc71_orders (
          id bigint primary key,
          product_id bigint not null references poc71_products (id),
          quantity int not null,
          created_at timestamptz not null
        );
        create index if not exists poc71_orders_product on poc71_orders (product_id);
      `);
      const { rows } = await client.query<{ n: string }>(
        'select count(*) as n from poc71_products',
      );
      if (Number(rows[0]?.n) === products) {
        await client.query('commit');
        return;
      }
      await client.query('truncate poc71_orders, poc71_products');
      await client.query(
        `insert into poc71_products
         select g, 'SKU-' || g, 'Product ' || g, g % $2, 100 + (g * 7919) % 100000, (g * 31) % 500
         from generate_series(1, $1::bigint) g`,
        [products, CATEGORY_COUNT],
      );
      await client.query(
        `insert into poc71_orders
         select g, 1 + (g * 104729) % $1, 1 + g % 5, now() - (g % 90) * interval '1 day'
         from generate_series(1, $1::bigint * 4) g`,
        [products],
      );
      await client.query('commit');
    } catch (err) {
      await client.query('rollback');
      throw err;
    }
    // Fresh statistics so the planner uses the indexes from the first request on.
    await client.query('analyze poc71_products; analyze poc71_orders');
  });
}

/** Rows in poc71_products, or undefined while the tables don't exist yet. */
async function seededProducts(client: PoolClient): Promise<number | undefined> {
  const { rows } = await client.query<{ ready: boolean }>(
    "select to_regclass('poc71_products') is not null and to_regclass('poc71_orders') is not null as ready",
  );
  if (!rows[0]?.ready) return undefined;
  const count = await client.query<{ n: string }>('select count(*) as n from poc71_products');
  return Number(count.rows[0]?.n);
}

export interface Product {
  id: string;
  sku: string;
  name: string;
  category: number;
  price_cents: number;
  stock: number;
}

export function createCatalog(pool: InstrumentedPool) {
  return {
    /** Primary-key lookup: the bulk of the traffic, ~0.1 ms in Postgres. */
    async getProduct(id: number): Promise<Product | undefined> {
      const { rows } = await pool.query<Product>(
        'select id, sku, name, category, price_cents, stock from poc71_products where id = $1',
        [id],
      );
      return rows[0];
    },

    /** Index range scan on category, one page. */
    async listCategory(category: number, limit: number): Promise<Product[]> {
      const { rows } = await pool.query<Product>(
        `select id, sku, name, category, price_cents, stock from poc71_products
         where category = $1 order by price_cents desc limit $2`,
        [category, limit],
      );
      return rows;
    },

    /** The heavier query: join and aggregate a category's orders (a few ms of CPU). */
    async topSellers(category: number): Promise<{ id: string; name: string; units: string }[]> {
      const { rows } = await pool.query<{ id: string; name: string; units: string }>(
        `select p.id, p.name, sum(o.quantity) as units
         from poc71_products p join poc71_orders o on o.product_id = p.id
         where p.category = $1
         group by p.id, p.name order by units desc limit 10`,
        [category],
      );
      return rows;
    },
  };
}
