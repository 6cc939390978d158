import {
  applyStatementTimeout,
  deadlineFromHeaders,
  isDeadlineExceededError,
} from '@pocs/shared/deadline';
import type { Logger } from '@pocs/shared/log';
import { Counter, type Registry } from '@pocs/shared/metrics';
import { createPool, type InstrumentedPool } from '@pocs/shared/pool';
import { createServer, sendProblem } from '@pocs/shared/server';
import type { Config } from './config.ts';
import { createHopMetrics } from './hop-metrics.ts';

export const skuParams = {
  type: 'object',
  required: ['sku'],
  properties: { sku: { type: 'string', pattern: '^[A-Z0-9-]{1,32}$' } },
} as const;

async function ensureStock(pool: InstrumentedPool, schema: string, skus: number): Promise<void> {
  await pool.query(`create schema if not exists ${schema}`);
  await pool.query(
    `create table if not exists ${schema}.stock (sku text primary key, available integer not null)`,
  );
  await pool.query(
    `insert into ${schema}.stock (sku, available)
     select 'SKU-' || g, (g * 7) % 50 from generate_series(1, $1::int) g
     on conflict (sku) do nothing`,
    [skus],
  );
}

const pgCode = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;

/**
 * Inventory: the bottom of the chain, one indexed read per call. It counts every call
 * that arrives (inventory_calls_total): that is where layered retries multiply. In the
 * fixed mode the statement timeout is whatever is left of the caller's deadline.
 */
export async function buildInventory(
  config: Readonly<Config>,
  deps: { logger: Logger; registry: Registry },
) {
  const pool = createPool({
    connectionString: config.POSTGRES_URL,
    name: 'inventory',
    applicationName: 'poc-76-inventory',
    max: config.PG_POOL_MAX,
    acquireTimeoutMs: config.PG_ACQUIRE_TIMEOUT_MS,
    // The broken mode is the missing-timeout bug, down to Postgres: no server-side statement
    // timeout and no client-side query timeout. The fixed mode keeps the shared pool's bounds
    // and caps each statement at the caller's remaining budget (applyStatementTimeout below).
    ...(config.BREAK_NO_TIMEOUTS ? { statementTimeoutMs: 0, queryTimeoutMs: 0 } : {}),
    logger: deps.logger,
  });
  try {
    await ensureStock(pool, config.DB_SCHEMA, config.SEED_SKUS);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const hop = createHopMetrics(deps.registry, 'inventory');
  const calls = new Counter({
    name: 'inventory_calls_total',
    help: 'Stock look-ups that arrived at inventory, retries included (count)',
    registers: [deps.registry],
  });

  const app = createServer({ ...deps, health: () => ({ pool: pool.stats() }) });
  hop.watchSockets(app);
  app.addHook('onClose', () => pool.end());

  app.get<{ Params: { sku: string } }>(
    '/stock/:sku',
    { schema: { params: skuParams } },
    async (request, reply) => {
      calls.inc();
      return hop.track(async () => {
        const deadline = config.BREAK_NO_TIMEOUTS
          ? undefined
          : deadlineFromHeaders(request.headers, {
              defaultMs: config.INVENTORY_TIMEOUT_MS,
              maxMs: config.GATEWAY_DEADLINE_MS,
            });
        try {
          const row = await pool.withClient(async (client) => {
            if (deadline) await applyStatementTimeout(client, deadline);
            const result = await client.query(
              `select sku, available from ${config.DB_SCHEMA}.stock where sku = $1`,
              [request.params.sku],
            );
            return result.rows[0] as { sku: string; available: number } | undefined;
          });
          if (!row) {
            return sendProblem(reply, 404, `no SKU ${request.params.sku}`, {
              code: 'sku_not_found',
            });
          }
          return row;
        } catch (err) {
          if (isDeadlineExceededError(err) || pgCode(err) === '57014') {
            return sendProblem(reply, 504, 'inventory query ran out of time', {
              code: 'deadline_exceeded',
            });
          }
          request.log.warn({ err }, 'stock query failed');
          return sendProblem(reply.header('retry-after', '1'), 503, 'inventory unavailable', {
            code: 'db_unavailable',
          });
        }
      });
    },
  );

  return { app, pool };
}
