import {
  type IdempotencyContext,
  idempotency,
  isIdempotencyLockLostError,
} from '@pocs/shared/idempotency';
import { createPostgresIdempotencyStore } from '@pocs/shared/idempotency-store-postgres';
import type { Logger } from '@pocs/shared/log';
import { Counter, type Registry } from '@pocs/shared/metrics';
import { createPool } from '@pocs/shared/pool';
import { registerPoolMetrics } from '@pocs/shared/pool-metrics';
import { createServer, sendProblem } from '@pocs/shared/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from './config.ts';
import {
  migratePayments,
  type PaymentBody,
  type PaymentRow,
  paymentBodySchema,
  paymentsTable,
  paymentView,
} from './payments.ts';
import { createProviderClient, isProviderUnavailableError } from './provider-client.ts';

const API_KEY = /^[A-Za-z0-9_-]{1,64}$/;

type PaymentRequest = FastifyRequest<{ Body: PaymentBody }>;

export interface AppDeps {
  logger: Logger;
  registry: Registry;
  /** Injected clock for key retention (tests move past 24 h). */
  now?: () => number;
  /** What BREAK_CRASH_AFTER_CHARGE does; kill -9 of this process by default. */
  crash?: () => void;
}

/**
 * The payments API: POST /payments charges the provider (another process) once per
 * Idempotency-Key, in Brandur Leach's atomic phases:
 *   started → [tx: insert pending payment] → payment_created → [provider call, same
 *   provider key on every attempt] → [tx: record the charge] → charge_recorded → response.
 * BREAK_NO_IDEMPOTENCY=1 serves the same route without keys: every retry charges again.
 */
export async function buildApp(config: Readonly<Config>, deps: AppDeps) {
  const pool = createPool({
    connectionString: config.POSTGRES_URL,
    name: 'main',
    applicationName: 'poc-73',
    max: config.PG_POOL_MAX,
    acquireTimeoutMs: config.PG_ACQUIRE_TIMEOUT_MS,
    logger: deps.logger,
  });
  registerPoolMetrics(pool, deps.registry);
  const store = createPostgresIdempotencyStore({ pool, schema: config.DB_SCHEMA });
  try {
    await migratePayments(pool, config.DB_SCHEMA);
    await store.migrate();
  } catch (err) {
    await pool.end();
    throw err;
  }
  const payments = paymentsTable(config.DB_SCHEMA);
  const provider = createProviderClient({
    url: config.PROVIDER_URL,
    timeoutMs: config.PROVIDER_TIMEOUT_MS,
  });
  const crash = deps.crash ?? (() => process.kill(process.pid, 'SIGKILL'));
  let crashed = false;
  const crashPoint = (point: '1' | 'before-record') => {
    if (config.BREAK_CRASH_AFTER_CHARGE !== point || crashed) return;
    crashed = true;
    deps.logger.warn({ point }, 'BREAK_CRASH_AFTER_CHARGE: killing the API after the charge');
    crash();
  };

  const idempotencyCount = new Counter({
    name: 'idempotency_requests_total',
    help: 'Requests with an Idempotency-Key, by what the middleware decided (count)',
    labelNames: ['outcome'],
    registers: [deps.registry],
  });
  const paymentsCount = new Counter({
    name: 'payments_total',
    help: 'Payment attempts answered, by result (count)',
    labelNames: ['result'],
    registers: [deps.registry],
  });
  const providerCalls = new Counter({
    name: 'payment_provider_calls_total',
    help: 'Calls to the payment provider, by result (count)',
    labelNames: ['result'],
    registers: [deps.registry],
  });

  const app = createServer({ ...deps, health: () => ({ pool: pool.stats() }) });
  app.addHook('onClose', () => pool.end());
  await app.register(idempotency, {
    store,
    scope: (request) => String(request.headers['x-api-key']),
    retentionMs: config.IDEMPOTENCY_RETENTION_MS,
    lockTimeoutMs: config.IDEMPOTENCY_LOCK_TIMEOUT_MS,
    ...(deps.now ? { now: deps.now } : {}),
    onOutcome: (outcome) => idempotencyCount.inc({ outcome }),
  });

  // Keys are scoped per client: the API key names the client.
  const requireApiKey = async (request: FastifyRequest, reply: FastifyReply) => {
    const key = request.headers['x-api-key'];
    if (typeof key !== 'string' || !API_KEY.test(key)) {
      return sendProblem(reply, 401, 'send your API key in x-api-key (1-64 of A-Z a-z 0-9 _ -)', {
        code: 'missing_api_key',
      });
    }
  };

  const callProvider = async (body: PaymentBody, providerKey?: string) => {
    try {
      const result = await provider.charge(
        { amountCents: body.amountCents, reference: body.orderId },
        providerKey,
      );
      providerCalls.inc({
        result:
          result.outcome === 'declined' ? 'declined' : result.replayed ? 'replayed' : 'charged',
      });
      return result;
    } catch (err) {
      providerCalls.inc({ result: isProviderUnavailableError(err) ? 'unavailable' : 'error' });
      throw err;
    }
  };

  const respond = (reply: FastifyReply, payment: PaymentRow) => {
    paymentsCount.inc({ result: payment.status });
    if (payment.status === 'declined') {
      return sendProblem(reply, 402, 'card declined by the provider', {
        code: 'card_declined',
        payment: paymentView(payment),
      });
    }
    return reply.code(201).send(paymentView(payment));
  };

  const unavailable = (reply: FastifyReply, withKey: boolean) => {
    paymentsCount.inc({ result: 'provider_unavailable' });
    return sendProblem(
      reply.header('retry-after', '1'),
      503,
      withKey
        ? 'payment provider unavailable: retry with the same Idempotency-Key'
        : 'payment provider unavailable: the charge may or may not have happened',
      { code: 'provider_unavailable' },
    );
  };

  /** The fix: each step is a phase; a retry resumes from the last recovery point. */
  const payWithKey = async (request: PaymentRequest, reply: FastifyReply) => {
    const idem = request.idempotency as IdempotencyContext;
    const clientId = idem.scope;
    let point = idem.recoveryPoint;
    if (point === 'started') {
      await store.atomicPhase(idem, async (client) => {
        await payments.insert(client, {
          clientId,
          key: idem.key,
          generation: idem.generation,
          orderId: request.body.orderId,
          amountCents: request.body.amountCents,
        });
        return { recoveryPoint: 'payment_created', value: undefined };
      });
      point = 'payment_created';
    }
    if (point === 'payment_created') {
      const pending = (await payments.byKeyGeneration(pool, idem.generation))!;
      let result: Awaited<ReturnType<typeof callProvider>>;
      try {
        result = await callProvider(request.body, pending.provider_key);
      } catch (err) {
        if (!isProviderUnavailableError(err)) throw err;
        // Unknown outcome: keep the recovery point, unlock, let the client retry. The
        // retry sends the same provider key, so the provider charges at most once.
        request.log.warn({ err: err.message, paymentId: pending.id }, 'provider unavailable');
        idem.releaseOnResponse();
        return unavailable(reply, true);
      }
      crashPoint('before-record');
      await store.atomicPhase(idem, async (client) => {
        if (result.outcome === 'declined') {
          await payments.settle(client, pending.id, 'declined', null);
        } else {
          await payments.settle(client, pending.id, 'succeeded', result.charge.id);
        }
        return { recoveryPoint: 'charge_recorded', value: undefined };
      });
      crashPoint('1');
    }
    return respond(reply, (await payments.byKeyGeneration(pool, idem.generation))!);
  };

  /** The bug: no key, so a retry after an unknown outcome is a brand-new payment. */
  const payWithoutKey = async (request: PaymentRequest, reply: FastifyReply) => {
    const clientId = String(request.headers['x-api-key']);
    const pending = await payments.insert(pool, {
      clientId,
      key: null,
      generation: null,
      orderId: request.body.orderId,
      amountCents: request.body.amountCents,
    });
    try {
      const result = await callProvider(request.body);
      crashPoint('before-record');
      if (result.outcome === 'declined') {
        await payments.settle(pool, pending.id, 'declined', null);
        return respond(reply, { ...pending, status: 'declined' });
      }
      await payments.settle(pool, pending.id, 'succeeded', result.charge.id);
      crashPoint('1');
      return respond(reply, {
        ...pending,
        status: 'succeeded',
        provider_charge_id: result.charge.id,
      });
    } catch (err) {
      if (!isProviderUnavailableError(err)) throw err;
      await payments.settle(pool, pending.id, 'failed', null);
      return unavailable(reply, false);
    }
  };

  if (config.BREAK_NO_IDEMPOTENCY) {
    deps.logger.warn(
      'BREAK_NO_IDEMPOTENCY=1: payments ignore Idempotency-Key; retries charge again',
    );
  }

  app.post<{ Body: PaymentBody }>(
    '/payments',
    {
      schema: { body: paymentBodySchema },
      onRequest: requireApiKey,
      config: config.BREAK_NO_IDEMPOTENCY ? {} : { idempotency: 'required' },
    },
    async (request, reply) => {
      try {
        return await (config.BREAK_NO_IDEMPOTENCY ? payWithoutKey : payWithKey)(request, reply);
      } catch (err) {
        if (!isIdempotencyLockLostError(err)) throw err;
        return sendProblem(
          reply.header('retry-after', '1'),
          409,
          'another attempt with this Idempotency-Key took over: retry with the same key',
          { code: 'idempotency_key_in_use' },
        );
      }
    },
  );

  return { app, pool, store };
}
