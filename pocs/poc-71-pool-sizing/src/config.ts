import { availableParallelism } from 'node:os';
import { env, parseConfig, serviceDefaults } from '@pocs/shared/config';
import { z } from 'zod';

export const configSchema = z.object({
  HOST: env.string('127.0.0.1'),
  PORT: env.port(3071),
  LOG_LEVEL: env.logLevel(),
  POSTGRES_URL: env.url(serviceDefaults.POSTGRES_URL),
  /** Only the break script uses it, to add network latency in front of Postgres. */
  TOXIPROXY_URL: env.url(serviceDefaults.TOXIPROXY_URL),
  /** node-postgres' own default is 10; the lesson is what the right number is. */
  PG_POOL_MAX: env.int(10, 1),
  PG_ACQUIRE_TIMEOUT_MS: env.int(2_000, 1),
  PG_STATEMENT_TIMEOUT_MS: env.int(5_000, 0),
  PG_LEAK_THRESHOLD_MS: env.int(10_000, 0),
  /** Rows seeded into poc71_products on first start (orders are 4× that). */
  SEED_PRODUCTS: env.int(20_000, 100),
  /** HikariCP's rule: connections ≈ cores × 2 + effective spindles (0 when data is cached). */
  EFFECTIVE_SPINDLES: env.int(0, 0),
});

export type Config = z.infer<typeof configSchema>;

export const loadConfig = (source = process.env): Readonly<Config> =>
  parseConfig(configSchema, source);

/** The pool size the HikariCP rule of thumb predicts for this machine. */
export function ruleOfThumbPoolSize(spindles: number, cores = availableParallelism()): number {
  return cores * 2 + spindles;
}
