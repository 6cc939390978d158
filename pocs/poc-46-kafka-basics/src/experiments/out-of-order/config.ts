import { brokerListEnv } from '@pocs/kafka';
import { env, parseConfig, serviceDefaults } from '@pocs/shared/config';
import { z } from 'zod';

/**
 * Knobs of the out-of-order experiment (scripts/out-of-order.ts), from env; flags override.
 * The producer part runs against a private broker behind toxiproxy; the consumer part
 * uses the shared broker(s).
 */
export const outOfOrderConfigSchema = z.object({
  KAFKA_BROKERS: brokerListEnv(serviceDefaults.KAFKA_BROKERS),
  TOXIPROXY_URL: env.url(serviceDefaults.TOXIPROXY_URL),
  /** Where the private broker listens, and the toxiproxy listener it advertises. */
  OOO_BROKER_PORT: env.port(9149),
  OOO_PROXY_PORT: env.port(27462),
  OOO_EVENTS: env.int(1200, 1),
  OOO_KEYS: env.int(20, 1),
  OOO_RATE_PER_SEC: env.int(200, 1),
  OOO_REQUEST_TIMEOUT_MS: env.int(1000, 1),
  OOO_LATENCY_MS: env.int(2000, 1),
  OOO_WINDOW_MS: env.int(1500, 1),
  OOO_WINDOWS: env.int(3, 1),
  OOO_EVENTS_PER_KEY: env.int(25, 1),
  OOO_MAX_HANDLER_LATENCY_MS: env.int(20, 0),
  OOO_SEED: env.int(46, 0),
  OOO_PARTITIONS: env.int(3, 1),
  OOO_ROUNDS: env.int(3, 1),
});

export type OutOfOrderConfig = z.infer<typeof outOfOrderConfigSchema>;

export const loadOutOfOrderConfig = (source = process.env): Readonly<OutOfOrderConfig> =>
  parseConfig(outOfOrderConfigSchema, source);
