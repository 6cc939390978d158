/**
 * The bench's service: POST /widgets inserts one row in Postgres (a typical cheap
 * create), with the idempotency middleware on a chosen store or without it.
 * BENCH_STORE = none | redis | postgres. Started by middleware-cost.ts in its own process.
 */
import { env, parseConfig, serviceDefaults } from '@pocs/shared/config';
import { NO_CONTROL_CHARACTERS } from '@pocs/shared/http-inputs';
import { idempotency } from '@pocs/shared/idempotency';
import { createPostgresIdempotencyStore } from '@pocs/shared/idempotency-store-postgres';
import { createRedisIdempotencyStore } from '@pocs/shared/idempotency-store-redis';
import { createLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { createPool } from '@pocs/shared/pool';
import { createServer, startServer } from '@pocs/shared/server';
import { Redis } from 'ioredis';
import { z } from 'zod';

const config = parseConfig(
  z.object({
    HOST: env.string('127.0.0.1'),
    PORT: env.port(3473),
    LOG_LEVEL: env.logLevel(),
    POSTGRES_URL: env.url(serviceDefaults.POSTGRES_URL),
    REDIS_URL: env.url(serviceDefaults.REDIS_URL),
    BENCH_STORE: z.enum(['none', 'redis', 'postgres']).default('none'),
    BENCH_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/)
      .default('poc73_bench'),
  }),
);
const logger = createLogger({ name: 'poc-73-bench', level: config.LOG_LEVEL });
const pool = createPool({
  connectionString: config.POSTGRES_URL,
  max: 20,
  acquireTimeoutMs: 5_000,
  logger,
});
const table = `${config.BENCH_SCHEMA}.widgets`;
await pool.query(`CREATE SCHEMA IF NOT EXISTS ${config.BENCH_SCHEMA}`);
await pool.query(
  `CREATE TABLE IF NOT EXISTS ${table} (id bigserial PRIMARY KEY, name text NOT NULL)`,
);
const app = createServer({ logger, registry: createRegistry() });
let redis: Redis | undefined;
if (config.BENCH_STORE === 'redis') {
  // Auto-pipelining: the scripts of requests in flight together go out in one socket
  // write. Profiled on this 2-core VM, writes were most of the store's added CPU.
  redis = new Redis(config.REDIS_URL, { enableAutoPipelining: true });
  await app.register(idempotency, {
    store: createRedisIdempotencyStore({ redis, keyPrefix: `${config.BENCH_SCHEMA}:idem:` }),
  });
} else if (config.BENCH_STORE === 'postgres') {
  const store = createPostgresIdempotencyStore({ pool, schema: config.BENCH_SCHEMA });
  await store.migrate();
  await app.register(idempotency, { store });
}
app.addHook('onClose', async () => {
  redis?.disconnect();
  await pool.end();
});
app.post<{ Body: { name: string } }>(
  '/widgets',
  {
    config: config.BENCH_STORE === 'none' ? {} : { idempotency: 'required' },
    schema: {
      body: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 200, pattern: NO_CONTROL_CHARACTERS },
        },
      },
    },
  },
  async (request, reply) => {
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO ${table} (name) VALUES ($1) RETURNING id`,
      [request.body.name],
    );
    return reply.code(201).send({ id: rows[0]!.id, name: request.body.name });
  },
);
await startServer(app, { host: config.HOST, port: config.PORT });
