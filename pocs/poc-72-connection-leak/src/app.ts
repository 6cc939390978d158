import type { Logger } from '@pocs/shared/log';
import type { Registry } from '@pocs/shared/metrics';
import { createPool } from '@pocs/shared/pool';
import { registerPoolMetrics } from '@pocs/shared/pool-metrics';
import { createServer, sendProblem } from '@pocs/shared/server';
import type { FastifyReply } from 'fastify';
import type { Config } from './config.ts';
import { isRefundRejectedError, type RefundRejectedError } from './errors.ts';
import { ensureOrders, getOrder, MAX_REFUND_CENTS, orderTables } from './orders.ts';
import { refundOrder } from './refund.ts';
import { refundOrderLeaky } from './refund-leaky.ts';
import { createRiskCheck } from './risk-check.ts';

const orderParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } },
} as const;

const refundBody = {
  type: 'object',
  required: ['amountCents'],
  properties: {
    amountCents: { type: 'integer', minimum: 1, maximum: MAX_REFUND_CENTS },
    reason: { type: 'string', maxLength: 200 },
  },
} as const;

function sendRejection(reply: FastifyReply, err: RefundRejectedError) {
  return sendProblem(reply, err.statusCode, err.message, { code: err.code });
}

/**
 * The orders service: refunds run in a transaction on a pooled client. Which refund
 * handler serves them is the lesson: BREAK_LEAK_ON_ERROR=1 picks the one that leaks.
 */
export async function buildApp(
  config: Readonly<Config>,
  deps: { logger: Logger; registry: Registry; random?: () => number },
) {
  const pool = createPool({
    connectionString: config.POSTGRES_URL,
    name: 'main',
    applicationName: 'poc-72',
    max: config.PG_POOL_MAX,
    acquireTimeoutMs: config.PG_ACQUIRE_TIMEOUT_MS,
    statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS,
    leakDetectionThresholdMs: config.PG_LEAK_THRESHOLD_MS,
    dangerouslyForceReleaseLeaks: config.PG_DANGEROUSLY_FORCE_RELEASE_LEAKS,
    logger: deps.logger,
  });
  registerPoolMetrics(pool, deps.registry);
  const db = orderTables(config.DB_SCHEMA);
  try {
    await ensureOrders(pool, db, config.SEED_ORDERS);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const refund = config.BREAK_LEAK_ON_ERROR ? refundOrderLeaky : refundOrder;
  const riskCheck = createRiskCheck(config.INJECT_ERROR_RATE, deps.random);
  if (config.BREAK_LEAK_ON_ERROR) {
    deps.logger.warn('BREAK_LEAK_ON_ERROR=1: refunds that fail will leak their pool client');
  }
  if (config.PG_DANGEROUSLY_FORCE_RELEASE_LEAKS) {
    deps.logger.warn(
      'PG_DANGEROUSLY_FORCE_RELEASE_LEAKS=1: leaked clients are destroyed under their holders',
    );
  }

  const app = createServer({ ...deps, health: () => ({ pool: pool.stats() }) });
  app.addHook('onClose', () => pool.end());

  app.get<{ Params: { id: number } }>(
    '/orders/:id',
    { schema: { params: orderParams } },
    async (request, reply) => {
      const order = await getOrder(pool, db, request.params.id);
      if (!order) {
        return sendProblem(reply, 404, `no order with id ${request.params.id}`, {
          code: 'order_not_found',
        });
      }
      return order;
    },
  );

  app.post<{ Params: { id: number }; Body: { amountCents: number; reason?: string } }>(
    '/orders/:id/refunds',
    { schema: { params: orderParams, body: refundBody } },
    async (request, reply) => {
      try {
        const created = await refund(
          pool,
          db,
          {
            orderId: request.params.id,
            amountCents: request.body.amountCents,
            reason: request.body.reason,
          },
          riskCheck,
        );
        return reply.code(201).send(created);
      } catch (err) {
        if (isRefundRejectedError(err)) return sendRejection(reply, err);
        throw err;
      }
    },
  );

  return { app, pool };
}
