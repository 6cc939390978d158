import { env, parseConfig, serviceDefaults } from '@pocs/shared/config';
import { z } from 'zod';

/**
 * One schema for the three services of the chain (gateway → orders → inventory →
 * Postgres); each reads the keys it needs. The timeout defaults come from inventory's
 * measured latency: see "The numbers" in the README and results/timeouts.json.
 */
export const configSchema = z.object({
  HOST: env.string('127.0.0.1'),
  /** The gateway's port: what callers use. */
  PORT: env.port(3076),
  ORDERS_PORT: env.port(3086),
  INVENTORY_PORT: env.port(3096),
  /** Which service this process runs; `all` starts the three as child processes. */
  SERVICE: z
    .enum(['all', 'gateway', 'orders', 'inventory'], {
      error: 'expected one of all, gateway, orders, inventory',
    })
    .default('all'),
  LOG_LEVEL: env.logLevel(),
  POSTGRES_URL: env.url(serviceDefaults.POSTGRES_URL),
  /** toxiproxy's API: break script, bench and tests put proxies in front of inventory and Postgres. */
  TOXIPROXY_URL: env.url(serviceDefaults.TOXIPROXY_URL),
  /** Where the gateway finds orders. */
  ORDERS_URL: env.url('http://127.0.0.1:3086'),
  /** Where orders finds inventory (tests put a toxiproxy in between). */
  INVENTORY_URL: env.url('http://127.0.0.1:3096'),
  /** Postgres schema holding inventory's stock table; tests and benches use one per run. */
  DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier (a-z, 0-9, _)')
    .default('poc76'),
  /** SKUs seeded on first start: SKU-1 .. SKU-<n>. */
  SEED_SKUS: env.int(100, 1),
  PG_POOL_MAX: env.int(10, 1),
  /** Longest wait for a pooled connection (and for a new connection to open). */
  PG_ACQUIRE_TIMEOUT_MS: env.int(1_000, 1),
  /**
   * DANGEROUS, the bug: no client timeouts anywhere (fetch without a signal, no
   * statement timeout, no deadline), no circuit breaker, and LAYERED_ATTEMPTS tries at
   * the gateway and at orders.
   */
  BREAK_NO_TIMEOUTS: env.flag(false),
  /** Broken mode: tries per layer (gateway → orders, orders → inventory). */
  LAYERED_ATTEMPTS: env.int(3, 1),
  /** The whole request's budget at the gateway; a caller's smaller x-request-timeout-ms wins. */
  GATEWAY_DEADLINE_MS: env.int(500, 1),
  /** What the gateway hands orders: (1 + ORDERS_RETRIES) × INVENTORY_TIMEOUT_MS + reserve, rounded up. */
  ORDERS_TIMEOUT_MS: env.int(400, 1),
  /** Per-try timeout of orders → inventory: 2 × inventory's measured p99.9, never below 150 ms. */
  INVENTORY_TIMEOUT_MS: env.int(150, 1),
  /** Retries at orders → inventory, the only layer that retries in the fixed mode. */
  ORDERS_RETRIES: env.int(1, 0),
  /** Budget each hop keeps back to build its own reply. */
  HOP_RESERVE_MS: env.int(20, 0),
  /** Circuit breaker (opossum) around inventory calls at orders. */
  BREAKER_ERROR_PERCENT: env.int(50, 1),
  BREAKER_VOLUME_THRESHOLD: env.int(5, 1),
  /** How long the breaker stays open before one trial call (half-open). */
  BREAKER_RESET_MS: env.int(2_000, 1),
});

export type Config = z.infer<typeof configSchema>;

export const loadConfig = (source = process.env): Readonly<Config> =>
  parseConfig(configSchema, source);
