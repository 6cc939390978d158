import { env, parseConfig, serviceDefaults } from '@pocs/shared/config';
import { z } from 'zod';

const identifier = (fallback: string) =>
  z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier (a-z, 0-9, _)')
    .default(fallback);

export const configSchema = z.object({
  HOST: env.string('127.0.0.1'),
  PORT: env.port(3073),
  LOG_LEVEL: env.logLevel(),
  POSTGRES_URL: env.url(serviceDefaults.POSTGRES_URL),
  PG_POOL_MAX: env.int(20, 1),
  PG_ACQUIRE_TIMEOUT_MS: env.int(5_000, 1),
  /** Schema of the payments ledger and the idempotency keys; tests use one per run. */
  DB_SCHEMA: identifier('poc73'),
  /** The payment provider (its own process); break runs point this at a toxiproxy proxy. */
  PROVIDER_URL: env.url('http://127.0.0.1:3083'),
  /** Give up on one provider call after this long; the provider may have charged anyway. */
  PROVIDER_TIMEOUT_MS: env.int(1_000, 1),
  /** How long a key and its stored response are kept (24 h, as Stripe does). */
  IDEMPOTENCY_RETENTION_MS: env.int(86_400_000, 1),
  /** A key locked longer than this belongs to a crashed request; a retry resumes it. */
  IDEMPOTENCY_LOCK_TIMEOUT_MS: env.int(30_000, 1),
  /** The bug: 1 serves payments without idempotency keys (each retry charges again). */
  BREAK_NO_IDEMPOTENCY: env.flag(false),
  /**
   * DANGEROUS test hook: the API kills itself (SIGKILL) once per process after the
   * provider charged. `1` = after the charge is recorded locally, `before-record` = before.
   */
  BREAK_CRASH_AFTER_CHARGE: z
    .enum(['0', '1', 'before-record'], { error: 'expected 0, 1 or before-record' })
    .default('0'),
});

export type Config = z.infer<typeof configSchema>;

export const loadConfig = (source = process.env): Readonly<Config> =>
  parseConfig(configSchema, source);
