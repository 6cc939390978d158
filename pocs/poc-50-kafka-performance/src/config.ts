import { brokerListStringEnv } from '@pocs/kafka';
import { env, parseConfig, serviceDefaults } from '@pocs/shared/config';
import { z } from 'zod';

export const configSchema = z.object({
  HOST: env.string('127.0.0.1'),
  PORT: env.port(3050),
  LOG_LEVEL: env.logLevel(),
  /** Comma-separated bootstrap brokers: one broker or the 3-broker cluster, same code. */
  KAFKA_BROKERS: brokerListStringEnv(serviceDefaults.KAFKA_BROKERS),
  KAFKA_CLIENT_ID: env.string('poc-50-lag-exporter'),
  /** Only consumer groups whose id matches this regex are exported (all by default). */
  LAG_GROUP_PATTERN: env
    .string('.*')
    .refine((source) => isRegex(source), 'expected a valid regular expression'),
  /**
   * A lag snapshot is reused for this long, so several scrapes (Prometheus, /lag, the
   * lag view) within the window cost one round of admin requests. 0 = fetch every time.
   */
  LAG_CACHE_MS: env.int(1_000, 0),
  /**
   * Longest /health, /lag or a metrics scrape waits for the brokers. Past it /health and /lag
   * answer 503 (Retry-After: 1) and a scrape exports no lag series: without it, kafkajs'
   * retries keep one call waiting for minutes on a broker that does not answer.
   */
  KAFKA_ADMIN_DEADLINE_MS: env.int(2_000, 100),
});

function isRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

export type Config = z.infer<typeof configSchema>;

export const loadConfig = (source = process.env): Readonly<Config> =>
  parseConfig(configSchema, source);
