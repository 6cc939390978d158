import type { Logger } from '@pocs/shared/log';
import type { Registry } from '@pocs/shared/metrics';
import { createPool } from '@pocs/shared/pool';
import { registerPoolMetrics } from '@pocs/shared/pool-metrics';
import { createServer, sendProblem } from '@pocs/shared/server';
import { CATEGORY_COUNT, createCatalog, ensureCatalog } from './catalog.ts';
import type { Config } from './config.ts';

/**
 * `poc71_products.id` is a bigint (up to 2^63 - 1), but the id travels as a JS number, exact
 * only up to 2^53 - 1: a larger id would be rounded to a neighbour (…993 reads …992), or
 * reach Postgres out of range (a 500). So the bound is the largest id this service can look
 * up exactly; the seeded catalogue stays far below it.
 */
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
} as const;

const categoryParams = {
  type: 'object',
  required: ['category'],
  properties: { category: { type: 'integer', minimum: 0, maximum: CATEGORY_COUNT - 1 } },
} as const;

/** Builds the catalogue service; start-up seeds the tables once. */
export async function buildApp(
  config: Readonly<Config>,
  deps: { logger: Logger; registry: Registry },
) {
  const pool = createPool({
    connectionString: config.POSTGRES_URL,
    name: 'main',
    applicationName: 'poc-71',
    max: config.PG_POOL_MAX,
    acquireTimeoutMs: config.PG_ACQUIRE_TIMEOUT_MS,
    statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS,
    leakDetectionThresholdMs: config.PG_LEAK_THRESHOLD_MS,
    logger: deps.logger,
  });
  registerPoolMetrics(pool, deps.registry);
  await ensureCatalog(pool, config.SEED_PRODUCTS);
  const catalog = createCatalog(pool);

  const app = createServer({ ...deps, health: () => ({ pool: pool.stats() }) });
  app.addHook('onClose', () => pool.end());

  app.get<{ Params: { id: number } }>(
    '/products/:id',
    { schema: { params: idParams } },
    async (request, reply) => {
      const product = await catalog.getProduct(request.params.id);
      if (!product) {
        return sendProblem(reply, 404, `no product with id ${request.params.id}`);
      }
      return product;
    },
  );

  app.get<{ Params: { category: number }; Querystring: { limit: number } }>(
    '/categories/:category/products',
    {
      schema: {
        params: categoryParams,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
        },
      },
    },
    async (request) => catalog.listCategory(request.params.category, request.query.limit),
  );

  app.get<{ Params: { category: number } }>(
    '/categories/:category/top-sellers',
    { schema: { params: categoryParams } },
    async (request) => catalog.topSellers(request.params.category),
  );

  return { app, pool };
}
