import { z } from 'zod';
import { ConfigError } from './errors.ts';

export type Env = Record<string, string | undefined>;

/**
 * Parse env once at start-up: defaults applied, every bad key reported in one
 * error, result frozen so nothing mutates config at run time.
 */
export function parseConfig<S extends z.ZodObject>(
  schema: S,
  env: Env = process.env,
): Readonly<z.infer<S>> {
  const picked: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    // An empty string means "unset" in most .env files; let the default apply.
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const result = schema.safeParse(picked);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.path.join('.');
      const raw = picked[key];
      const shown = raw === undefined ? '(unset)' : JSON.stringify(raw);
      return `${key}=${shown}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  return Object.freeze(result.data);
}

/** Env helpers: strings in, typed values out, with messages that name the expectation. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(1).max(65_535).default(fallback),
  /** Whole number with a lower bound, e.g. milliseconds or counts. */
  int: (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback),
  url: (fallback: string) => z.url().default(fallback),
  string: (fallback: string) => z.string().min(1).default(fallback),
  /** "1"/"true"/"yes" → true, "0"/"false"/"no" → false; anything else is an error. */
  flag: (fallback: boolean) =>
    z
      .enum(['1', '0', 'true', 'false', 'yes', 'no'], {
        error: 'expected one of 1, 0, true, false, yes, no',
      })
      .transform((v) => v === '1' || v === 'true' || v === 'yes')
      .default(fallback),
  logLevel: () =>
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/**
 * The one table of service addresses: every POC's config defaults, infra's native services
 * (`pnpm services`), its help text and (by test) every compose file's published ports.
 */
export const serviceDefaults = Object.freeze({
  POSTGRES_URL: 'postgres://postgres:postgres@127.0.0.1:5432/postgres',
  REDIS_URL: 'redis://127.0.0.1:6379',
  KAFKA_BROKERS: '127.0.0.1:9092',
  KAFKA_CLUSTER_BROKERS: '127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094',
  RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
  TOXIPROXY_URL: 'http://127.0.0.1:8474',
});
