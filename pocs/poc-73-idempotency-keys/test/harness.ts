import { randomUUID } from 'node:crypto';
import { type ChildService, startChildService } from '@pocs/shared/child-service';
import { serviceDefaults } from '@pocs/shared/config';
import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { createPool, type InstrumentedPool } from '@pocs/shared/pool';
import { type AppDeps, buildApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { pocRoot } from '../src/experiments/payments.ts';
import { reconcileLedgers } from '../src/ledger.ts';

/** The real Postgres started by `pnpm services up` (or POSTGRES_URL). */
export const postgresUrl = process.env.POSTGRES_URL ?? serviceDefaults.POSTGRES_URL;

/** Schema names no other run uses, so runs never see each other's ledgers. */
export const uniqueSchema = (label: string) =>
  `poc73_t_${label}_${Date.now().toString(36)}_${randomUUID().slice(0, 6)}`;

/** The provider in its own process, with its own ledger schema. */
export async function startProvider(port: number, schema: string): Promise<ChildService> {
  return startChildService({
    entry: 'src/provider/server.ts',
    cwd: pocRoot,
    port,
    env: { POSTGRES_URL: postgresUrl, PROVIDER_SCHEMA: schema, LOG_LEVEL: 'error' },
  });
}

/** A test world: provider process + in-process API (for inject) + a pool to read ledgers. */
export async function createWorld(
  options: {
    providerPort: number;
    providerUrl?: string;
    env?: Record<string, string>;
    deps?: Partial<AppDeps>;
  } = { providerPort: 3183 },
) {
  const apiSchema = uniqueSchema('api');
  const providerSchema = uniqueSchema('prov');
  const provider = await startProvider(options.providerPort, providerSchema);
  const pool = createPool({ connectionString: postgresUrl, max: 2, acquireTimeoutMs: 10_000 });
  const config: Readonly<Config> = loadConfig({
    POSTGRES_URL: postgresUrl,
    DB_SCHEMA: apiSchema,
    PROVIDER_URL: options.providerUrl ?? provider.url,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  let built: Awaited<ReturnType<typeof buildApp>>;
  try {
    built = await buildApp(config, {
      logger: silentLogger,
      registry: createRegistry(),
      ...options.deps,
    });
  } catch (err) {
    await provider.stop();
    await dropSchemas(pool, apiSchema, providerSchema);
    await pool.end();
    throw err;
  }
  return {
    ...built,
    config,
    provider,
    apiSchema,
    providerSchema,
    /** Rows in the provider's ledger: money taken. */
    charges: async () =>
      Number(
        (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${providerSchema}.charges`))
          .rows[0]!.n,
      ),
    payments: async () =>
      Number(
        (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${apiSchema}.payments`))
          .rows[0]!.n,
      ),
    ledgers: () => reconcileLedgers(pool, { apiSchema, providerSchema }),
    close: async () => {
      await built.app.close();
      await provider.stop();
      await dropSchemas(pool, apiSchema, providerSchema);
      await pool.end();
    },
  };
}

export async function dropSchemas(pool: InstrumentedPool, ...schemas: string[]) {
  for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

export const pay = (
  body: Record<string, unknown>,
  headers: Record<string, string | string[]> = {},
) => ({
  method: 'POST' as const,
  url: '/payments',
  headers: { 'content-type': 'application/json', 'x-api-key': 'shop_a', ...headers },
  payload: JSON.stringify(body),
});
