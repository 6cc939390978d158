import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { postgresUrl } from './postgres-url.ts';

let built: Awaited<ReturnType<typeof buildApp>>;
beforeAll(async () => {
  const config = loadConfig({ POSTGRES_URL: postgresUrl, PG_POOL_MAX: '3' });
  built = await buildApp(config, { logger: silentLogger, registry: createRegistry() });
});
afterAll(() => built.app.close());

describe('catalogue service', () => {
  it('looks a product up by id', async () => {
    const res = await built.app.inject({ method: 'GET', url: '/products/42' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: '42', sku: 'SKU-42' });
  });

  it('answers an unknown product with 404 and an invalid id with 400 naming the field', async () => {
    const missing = await built.app.inject({ method: 'GET', url: '/products/999999999' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().title).toBe('no product with id 999999999');
    const invalid = await built.app.inject({ method: 'GET', url: '/products/abc' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.headers['content-type']).toContain('application/problem+json');
    expect(invalid.json().detail).toBe('params/id must be integer');
  });

  it.each([
    ['past bigint', '99999999999999999999'],
    ['past what a JS number holds exactly', '9007199254740993'],
  ])('answers an id %s with 400 naming the bound, not a 500 or a rounded id', async (_n, id) => {
    const res = await built.app.inject({ method: 'GET', url: `/products/${id}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toBe('params/id must be <= 9007199254740991');
  });

  it('looks up the largest exact id (404 here, the catalogue is small)', async () => {
    const res = await built.app.inject({ method: 'GET', url: '/products/9007199254740991' });
    expect(res.statusCode).toBe(404);
    expect(res.json().title).toBe('no product with id 9007199254740991');
  });

  it('serves /openapi.json with the product routes and the id bound', async () => {
    const res = await built.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/products/{id}',
        '/categories/{category}/products',
        '/categories/{category}/top-sellers',
      ]),
    );
    expect(doc.paths['/products/{id}'].get.parameters).toEqual([
      {
        in: 'path',
        name: 'id',
        required: true,
        schema: { type: 'integer', minimum: 1, maximum: 9007199254740991 },
      },
    ]);
  });

  it('pages a category and rejects a limit out of range', async () => {
    const page = await built.app.inject({ method: 'GET', url: '/categories/7/products?limit=5' });
    expect(page.statusCode).toBe(200);
    expect(page.json()).toHaveLength(5);
    expect(page.json().every((p: { category: number }) => p.category === 7)).toBe(true);
    const tooMany = await built.app.inject({
      method: 'GET',
      url: '/categories/7/products?limit=1000',
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().detail).toContain('limit');
    const noCategory = await built.app.inject({ method: 'GET', url: '/categories/50/products' });
    expect(noCategory.statusCode).toBe(400);
  });

  it('ranks a category top sellers by units sold', async () => {
    const res = await built.app.inject({ method: 'GET', url: '/categories/7/top-sellers' });
    expect(res.statusCode).toBe(200);
    const units = res.json().map((r: { units: string }) => Number(r.units));
    expect(units.length).toBe(10);
    expect([...units].sort((a, b) => b - a)).toEqual(units);
  });

  it('exposes pool gauges and histograms on /metrics, and pool stats on /health', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        built.app.inject({ method: 'GET', url: `/products/${i + 1}` }),
      ),
    );
    const metrics = await built.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('db_pool_clients{pool="main",state="waiting"} 0');
    expect(metrics.body).toContain('db_pool_max_clients{pool="main"} 3');
    expect(metrics.body).toMatch(/db_pool_acquire_wait_seconds_count\{pool="main"\} \d+/);
    expect(metrics.body).toMatch(/db_pool_hold_seconds_count\{pool="main"\} \d+/);
    const health = await built.app.inject({ method: 'GET', url: '/health' });
    expect(health.json()).toMatchObject({ status: 'ok', pool: { max: 3, waiting: 0, leased: 0 } });
  });
});
