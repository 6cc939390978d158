import { DEADLINE_HEADER } from '@pocs/shared/deadline';
import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, buildInventory } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

const schema = `poc76_svc_${process.pid}_${Date.now() % 1e6}`;
const config = loadConfig({ DB_SCHEMA: schema, SEED_SKUS: '10', LOG_LEVEL: 'silent' });
const deps = () => ({ logger: silentLogger, registry: createRegistry() });
let inventory: Awaited<ReturnType<typeof buildInventory>>;

beforeAll(async () => {
  inventory = await buildInventory(config, deps());
});
afterAll(async () => {
  await inventory?.app.close();
  const client = new pg.Client({ connectionString: config.POSTGRES_URL });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
});

describe('inventory', () => {
  it('answers stock from Postgres, 404 for an unknown SKU, 400 naming the bad parameter', async () => {
    const ok = await inventory.app.inject({ url: '/stock/SKU-3' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ sku: 'SKU-3', available: 21 });

    const missing = await inventory.app.inject({ url: '/stock/SKU-11' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'sku_not_found', title: 'no SKU SKU-11' });

    const bad = await inventory.app.inject({ url: '/stock/sku;drop' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json().detail).toMatch(/params\/sku must match pattern/);
  });

  it('turns a spent caller budget into 504 without running the query', async () => {
    const res = await inventory.app.inject({
      url: '/stock/SKU-3',
      headers: { [DEADLINE_HEADER]: '0' },
    });
    expect(res.statusCode).toBe(504);
    expect(res.json()).toMatchObject({ code: 'deadline_exceeded' });
  });

  it('sets the statement timeout to what is left of the caller budget', async () => {
    const res = await inventory.app.inject({
      url: '/stock/SKU-3',
      headers: { [DEADLINE_HEADER]: '400' },
    });
    expect(res.statusCode).toBe(200);
    const shown = await inventory.pool.withClient(async (client) => {
      const r = await client.query<{ setting: string }>(
        "select setting from pg_settings where name = 'statement_timeout'",
      );
      return r.rows[0]!.setting;
    });
    // The session setting (ms) is the budget left when the query ran: 400 less a little.
    const ms = Number(shown);
    expect(ms).toBeGreaterThan(300);
    expect(ms).toBeLessThanOrEqual(400);
  });
});

describe('gateway', () => {
  it('rejects a malformed SKU with 400 problem+json before calling anyone', async () => {
    const { app } = await buildGateway(
      loadConfig({ ORDERS_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'silent' }),
      deps(),
    );
    const res = await app.inject({ url: '/api/availability/..%2Fadmin' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ title: 'invalid request' });
    const down = await app.inject({ url: '/api/availability/SKU-1' });
    expect(down.statusCode).toBe(502);
    expect(down.json()).toMatchObject({ code: 'upstream_unreachable' });
    await app.close();
  });
});
