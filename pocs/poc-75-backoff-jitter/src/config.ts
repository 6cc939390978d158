import { env, parseConfig, serviceDefaults } from '@pocs/shared/config';
import { z } from 'zod';

export const configSchema = z.object({
  HOST: env.string('127.0.0.1'),
  PORT: env.port(3075),
  LOG_LEVEL: env.logLevel(),
  /** Postgres for the optimistic-concurrency experiment (the contended row). */
  POSTGRES_URL: env.url(serviceDefaults.POSTGRES_URL),
  /** The dependency serves at most this many requests per window; the rest get 503 overloaded. */
  CAPACITY_PER_WINDOW: env.int(50, 1),
  /** Length of a counting window, ms: requests are counted and capacity is enforced per window. */
  WINDOW_MS: env.int(100, 1),
  /** The failure: start with an outage of this many ms (every request 503); 0 = healthy. */
  BREAK_OUTAGE_MS: env.int(0, 0),
});

export type Config = z.infer<typeof configSchema>;

export const loadConfig = (source = process.env): Readonly<Config> =>
  parseConfig(configSchema, source);
