import { env, parseConfig, serviceDefaults } from '@pocs/shared/config';
import { z } from 'zod';

export const configSchema = z.object({
  HOST: env.string('127.0.0.1'),
  PORT: env.port(3072),
  LOG_LEVEL: env.logLevel(),
  POSTGRES_URL: env.url(serviceDefaults.POSTGRES_URL),
  /** Small on purpose: a leak on a 20% error path empties 10 clients in seconds. */
  PG_POOL_MAX: env.int(10, 1),
  /** How long a request waits for a free client before it gets a 503. */
  PG_ACQUIRE_TIMEOUT_MS: env.int(2_000, 1),
  PG_STATEMENT_TIMEOUT_MS: env.int(5_000, 0),
  /** A client held longer than this is reported once, with the stack that took it; 0 = off. Keep it above your p99 hold time. */
  PG_LEAK_THRESHOLD_MS: env.int(2_000, 0),
  /**
   * DANGEROUS. Destroy a client once it is reported as leaked, so the pool can open a
   * new one. The code that leaked it may still hold it and use it later: its next query
   * fails, and a transaction it had open is rolled back under its feet. A bandage for an
   * outage, never a fix.
   */
  PG_DANGEROUSLY_FORCE_RELEASE_LEAKS: env.flag(false),
  /** The bug: 1 serves refunds with the handler that skips release() on its error paths. */
  BREAK_LEAK_ON_ERROR: env.flag(false),
  /** Share of refunds the risk check declines (422), 0..1: a second way to hit the error path. */
  INJECT_ERROR_RATE: z.coerce
    .number()
    .min(0, 'expected a share between 0 and 1')
    .max(1, 'expected a share between 0 and 1')
    .default(0),
  /** Postgres schema holding this service's tables; tests and experiments use one per run. */
  DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier (a-z, 0-9, _)')
    .default('poc72'),
  /** Orders seeded on first start (ids 1..SEED_ORDERS). */
  SEED_ORDERS: env.int(1_000, 1),
});

export type Config = z.infer<typeof configSchema>;

export const loadConfig = (source = process.env): Readonly<Config> =>
  parseConfig(configSchema, source);
