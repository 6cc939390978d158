import { env, parseConfig } from '@pocs/shared/config';
import { z } from 'zod';

export const configSchema = z.object({
  HOST: env.string('127.0.0.1'),
  PORT: env.port(__PORT__),
  LOG_LEVEL: env.logLevel(),
  /** The failure this POC injects, off by default; loud name on purpose. */
  BREAK_SLOW_MS: env.int(0, 0),
});

export type Config = z.infer<typeof configSchema>;

export const loadConfig = (source = process.env): Readonly<Config> =>
  parseConfig(configSchema, source);
