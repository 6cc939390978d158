import { isBrokerUnavailableError } from '@pocs/rabbitmq';
import { isDeadlineExceededError } from '@pocs/shared/deadline';
import type { Logger } from '@pocs/shared/log';
import { Counter, Gauge, Histogram, type Registry } from '@pocs/shared/metrics';
import { createServer, sendProblem } from '@pocs/shared/server';
import { createAdaptiveLimit } from './adaptive-limit.ts';
import { createBrokerQueue } from './broker-queue.ts';
import { type Config, capacityPerSec } from './config.ts';
import { createWorkerPool } from './worker-pool.ts';

/**
 * Queue-wait buckets, seconds: fine around what a limit allows (a job waits at most
 * (limit − workers) / workers × JOB_SERVICE_MS, 0.4 s at the defaults) and up to the
 * 1 s deadline, coarse beyond it.
 */
export const queueWaitBucketsSeconds = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 2.5, 5, 10];

const jobBody = {
  type: 'object',
  required: ['task'],
  additionalProperties: false,
  properties: { task: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/**
 * A job service with a fixed-capacity worker pool behind an admission gate. Which gate is
 * the lesson: `unbounded` queues everything in memory (the bug), `fixed` and `adaptive`
 * shed what would only wait, with 429 and Retry-After; `broker` puts the queue on RabbitMQ,
 * bounded there, and answers 429 when the broker refuses a publish.
 */
export async function buildApp(
  config: Readonly<Config>,
  deps: { logger: Logger; registry: Registry },
) {
  const pool = createWorkerPool({ workers: config.WORKERS, serviceMs: config.JOB_SERVICE_MS });
  // Time in queue, as the service saw it: a job that waited longer than its caller's
  // deadline is work done for a client that has left, whatever the client's clock says.
  const queueWait = new Histogram({
    name: 'jobs_queue_wait_seconds',
    help: 'Time an admitted job waited before a worker started it (broker mode: on RabbitMQ and in the pool), seconds',
    buckets: queueWaitBucketsSeconds,
    registers: [deps.registry],
  });
  const adaptive = createAdaptiveLimit(config.ADAPTIVE_INITIAL_LIMIT, {
    maxLimit: config.ADAPTIVE_MAX_LIMIT,
  });
  // Broker mode: the backlog waits on RabbitMQ; this process holds only `WORKERS` jobs
  // (prefetch), each with its payload while it runs, acked after the work.
  const broker =
    config.ADMISSION_MODE === 'broker'
      ? await createBrokerQueue({
          url: config.RABBITMQ_URL,
          maxLength: config.BROKER_MAX_LENGTH,
          prefetch: config.WORKERS,
          jobTimeoutMs: config.BROKER_JOB_TIMEOUT_MS,
          logger: deps.logger,
          work: async (_task, queuedMs) => {
            const payload = Buffer.alloc(config.JOB_MEMORY_BYTES, 120).toString('latin1');
            await pool.run((waitedMs) => queueWait.observe((queuedMs + waitedMs) / 1000));
            if (payload.length !== config.JOB_MEMORY_BYTES) throw new Error('payload lost');
          },
        })
      : undefined;
  const limit = (): number => {
    if (config.ADMISSION_MODE === 'fixed') return config.MAX_IN_FLIGHT;
    if (config.ADMISSION_MODE === 'broker') return config.BROKER_MAX_LENGTH + config.WORKERS;
    if (config.ADMISSION_MODE === 'adaptive') return adaptive.limit;
    return Number.POSITIVE_INFINITY;
  };
  const capacity = capacityPerSec(config);
  let inFlight = 0;
  if (config.ADMISSION_MODE === 'unbounded') {
    deps.logger.warn('ADMISSION_MODE=unbounded: every request is queued in memory, no limit');
  }

  new Gauge({
    name: 'jobs_in_flight',
    help: 'Admitted jobs not yet finished (running + queued), count',
    registers: [deps.registry],
    collect() {
      this.set(broker ? broker.pending : inFlight);
    },
  });
  new Gauge({
    name: 'jobs_queue_depth',
    help: 'Admitted jobs waiting for a worker (broker mode: ready messages on the broker), count',
    registers: [deps.registry],
    async collect() {
      this.set(broker ? await broker.depth() : pool.queued);
    },
  });
  new Gauge({
    name: 'jobs_admission_limit',
    help: 'Current admission limit (running + queued), count; -1 when unbounded',
    registers: [deps.registry],
    collect() {
      const l = limit();
      this.set(Number.isFinite(l) ? l : -1);
    },
  });
  const shed = new Counter({
    name: 'jobs_shed_total',
    help: 'Jobs refused with 429 because the admission limit was reached, count',
    registers: [deps.registry],
  });
  const admitted = new Counter({
    name: 'jobs_admitted_total',
    help: 'Jobs let past the admission gate (broker mode: publishes the broker confirmed), count',
    registers: [deps.registry],
  });
  const completed = new Counter({
    name: 'jobs_completed_total',
    help: 'Jobs the worker pool finished, count',
    registers: [deps.registry],
  });

  const app = createServer({
    ...deps,
    health: () => {
      // Broker mode serves nothing while RabbitMQ is unreachable: say so (503).
      if (broker && broker.state !== 'open') throw new Error(`RabbitMQ is ${broker.state}`);
      return {
        mode: config.ADMISSION_MODE,
        inFlight,
        limit: limit(),
        capacity,
        ...(broker ? { brokerQueue: broker.queue, broker: broker.state } : {}),
      };
    },
  });
  if (broker) {
    deps.logger.info({ queue: broker.queue }, 'ADMISSION_MODE=broker: jobs go through RabbitMQ');
    app.addHook('onClose', () => broker.close());
  }

  app.post<{ Body: { task: string } }>(
    '/jobs',
    { schema: { body: jobBody } },
    async (request, reply) => {
      if (broker) {
        const startedAt = performance.now();
        try {
          const sent = await broker.submit(request.body.task);
          if (!sent.accepted) {
            shed.inc();
            // The broker queue is full: come back when it has drained.
            const retryAfterSec = Math.max(1, Math.ceil(limit() / capacity));
            return sendProblem(
              reply.header('retry-after', String(retryAfterSec)),
              429,
              `overloaded: broker queue ${broker.queue} is full (${config.BROKER_MAX_LENGTH} jobs); retry after ${retryAfterSec} s`,
              { code: 'overloaded', limit: config.BROKER_MAX_LENGTH, retryAfterSec },
            );
          }
          admitted.inc();
          await sent.done;
        } catch (err) {
          // The broker is unreachable (or the link dropped while the job waited), or the job
          // missed its deadline: a retriable 503 at once, never a hang or a crash.
          if (!isBrokerUnavailableError(err) && !isDeadlineExceededError(err)) throw err;
          const unreachable = isBrokerUnavailableError(err);
          // The drop itself is logged once, by the connection; a missed deadline is news.
          if (unreachable) request.log.debug({ err }, 'job not done: broker unavailable');
          else request.log.warn({ err }, 'job not done in time');
          return sendProblem(
            reply.header('retry-after', '1'),
            503,
            unreachable
              ? 'job queue unavailable, retry later'
              : 'job not done in time, retry later',
            { code: unreachable ? 'broker_unavailable' : 'job_timeout' },
          );
        }
        completed.inc();
        return {
          task: request.body.task,
          payloadBytes: config.JOB_MEMORY_BYTES,
          latencyMs: Math.round(performance.now() - startedAt),
        };
      }
      const current = limit();
      if (inFlight >= current) {
        shed.inc();
        // Come back when what is admitted now has drained.
        const retryAfterSec = Math.max(1, Math.ceil(inFlight / capacity));
        return sendProblem(
          reply.header('retry-after', String(retryAfterSec)),
          429,
          `overloaded: ${inFlight} jobs in flight, limit ${current}; retry after ${retryAfterSec} s`,
          { code: 'overloaded', limit: current, retryAfterSec },
        );
      }
      inFlight++;
      admitted.inc();
      const startedAt = performance.now();
      // What a real job keeps while it waits: its parsed payload, on the heap.
      const payload = Buffer.alloc(config.JOB_MEMORY_BYTES, 120).toString('latin1');
      try {
        await pool.run((waitedMs) => queueWait.observe(waitedMs / 1000));
      } finally {
        inFlight--;
      }
      const latencyMs = performance.now() - startedAt;
      adaptive.onSample(latencyMs);
      completed.inc();
      return {
        task: request.body.task,
        payloadBytes: payload.length,
        latencyMs: Math.round(latencyMs),
      };
    },
  );

  return { app, pool, limit };
}
