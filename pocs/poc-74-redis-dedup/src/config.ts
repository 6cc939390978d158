import { env, parseConfig, serviceDefaults } from '@pocs/shared/config';
import { z } from 'zod';

const identifier = (fallback: string) =>
  z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier (a-z, 0-9, _)')
    .default(fallback);

export const dedupStrategies = ['none', 'check-then-act', 'atomic'] as const;
export type DedupStrategy = (typeof dedupStrategies)[number];

export const configSchema = z.object({
  HOST: env.string('127.0.0.1'),
  PORT: env.port(3074),
  LOG_LEVEL: env.logLevel(),
  POSTGRES_URL: env.url(serviceDefaults.POSTGRES_URL),
  REDIS_URL: env.url(serviceDefaults.REDIS_URL),
  RABBITMQ_URL: env.url(serviceDefaults.RABBITMQ_URL),
  /**
   * Longest a Redis command may take before it fails (the delivery is requeued, /health
   * answers 503), ms. Without it a frozen Redis holds every dedup call forever.
   */
  REDIS_COMMAND_TIMEOUT_MS: env.int(1_000, 1),
  PG_POOL_MAX: env.int(10, 1),
  PG_ACQUIRE_TIMEOUT_MS: env.int(2_000, 1),
  /** Postgres schema holding orders and shipments; tests and experiments use one per run. */
  DB_SCHEMA: identifier('poc74'),
  /** RabbitMQ queue the consumer reads order events from (durable). */
  QUEUE: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,200}$/, 'expected a queue name of letters, digits, . _ -')
    .default('poc74.orders'),
  /** Prefix of every dedup key in Redis, so runs and services never share keys. */
  REDIS_KEY_PREFIX: env.string('poc74:'),
  /**
   * How the consumer decides a message was seen: none; check-then-act (GET, side effect,
   * SET: races under concurrency); atomic (SET NX PX before the side effect).
   */
  DEDUP_STRATEGY: z
    .enum(dedupStrategies, { error: 'expected one of none, check-then-act, atomic' })
    .default('atomic'),
  /** How long a processed message id is remembered in Redis (24 h): replays older than this get through. */
  DEDUP_TTL_MS: env.int(86_400_000, 1),
  /** How long an atomic claim lives while its side effect runs; a crashed consumer's claim expires after this. */
  DEDUP_CLAIM_TTL_MS: env.int(30_000, 1),
  /** A copy that finds its message claimed by another delivery waits this long, then is requeued. */
  DEDUP_IN_FLIGHT_RETRY_MS: env.int(50, 1),
  /** The durable last line of defence: a unique constraint on shipments(order_id), insert … on conflict do nothing. */
  PG_UNIQUE_GUARD: env.flag(true),
  /** Consumers (one channel each) in this process. */
  CONSUMERS: env.int(2, 1),
  /** Unacked messages each consumer may hold at once: > 1 means handlers run concurrently. */
  PREFETCH: env.int(20, 1),
  /**
   * The fault: nack (requeue) every delivery this many times after handling it, as if the
   * ack were lost each time (consumer crash, channel closed). 0 = off.
   */
  BREAK_REDELIVER_TIMES: env.int(0, 0),
});

export type Config = z.infer<typeof configSchema>;

export const loadConfig = (source = process.env): Readonly<Config> =>
  parseConfig(configSchema, source);
