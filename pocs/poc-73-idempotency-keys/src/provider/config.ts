import { env, parseConfig, serviceDefaults } from '@pocs/shared/config';
import { z } from 'zod';

/** The fake payment provider's own config: a separate service with its own ledger. */
export const providerConfigSchema = z.object({
  HOST: env.string('127.0.0.1'),
  PORT: env.port(3083),
  LOG_LEVEL: env.logLevel(),
  POSTGRES_URL: env.url(serviceDefaults.POSTGRES_URL),
  PROVIDER_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier (a-z, 0-9, _)')
    .default('poc73_provider'),
  PROVIDER_POOL_MAX: env.int(20, 1),
});

export type ProviderConfig = z.infer<typeof providerConfigSchema>;

export const loadProviderConfig = (source = process.env): Readonly<ProviderConfig> =>
  parseConfig(providerConfigSchema, source);
