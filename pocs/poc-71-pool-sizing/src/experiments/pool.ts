import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildService } from '@pocs/shared/child-service';
import { scrapePool, watchPool } from '@pocs/shared/pool-watch';
import { histogramQuantile } from '@pocs/shared/prom-text';
import { createToxiproxy, viaProxy } from '@pocs/shared/toxiproxy';
import pg from 'pg';
import { type LoadResult, runMixLoad, runOpenMixLoad } from './mix-load.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ExperimentResult {
  poolSize: number;
  load: LoadResult;
  acquireTimeouts: number;
  acquireWaitP99Ms: number;
  maxWaiting: number;
  /** Most poc-71 backends Postgres saw running a query at the same moment. */
  maxActiveBackends: number;
  serverConnections: number;
}

/**
 * Start the service with one pool size, drive the mixed load at it, and count what
 * moved: acquire timeouts and queue length on the client side, busy backends on the
 * database side. Always stops the service it started.
 */
export async function runPoolExperiment({
  poolSize,
  connections,
  durationSec,
  acquireTimeoutMs,
  port,
  postgresUrl,
  products,
  rate,
  dbLatencyMs = 0,
  toxiproxyUrl,
  print,
}: {
  poolSize: number;
  connections: number;
  durationSec: number;
  acquireTimeoutMs: number;
  port: number;
  postgresUrl: string;
  products: number;
  /** Requests/s offered open-loop; unset = closed loop of `connections`. */
  rate?: number;
  /** Latency toxiproxy adds to every Postgres response (the network hop production has). */
  dbLatencyMs?: number;
  toxiproxyUrl?: string;
  print?: (line: string) => void;
}): Promise<ExperimentResult> {
  const db =
    dbLatencyMs > 0
      ? await proxyPostgres(postgresUrl, port + 1, dbLatencyMs, toxiproxyUrl)
      : undefined;
  const service = await startChildService({
    entry: 'src/server.ts',
    cwd: root,
    port,
    env: {
      PG_POOL_MAX: String(poolSize),
      PG_ACQUIRE_TIMEOUT_MS: String(acquireTimeoutMs),
      POSTGRES_URL: db?.url ?? postgresUrl,
    },
  }).catch(async (err) => {
    await db?.proxy.delete();
    throw err;
  });
  const observer = new pg.Client({
    connectionString: postgresUrl,
    application_name: 'poc-71-observer',
  });
  await observer.connect();
  let maxWaiting = 0;
  let maxActiveBackends = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const [{ rows }, snapshot] = await Promise.all([
        observer.query<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where application_name = 'poc-71' and state = 'active'",
        ),
        scrapePool(service.url),
      ]);
      maxActiveBackends = Math.max(maxActiveBackends, rows[0]?.n ?? 0);
      maxWaiting = Math.max(maxWaiting, snapshot.waiting);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const watcher = print ? watchPool(service.url, { print: (l) => print(`  ${l}`) }) : undefined;
  try {
    const before = await scrapePool(service.url);
    const load = rate
      ? await runOpenMixLoad({ url: service.url, rate, durationSec, products })
      : await runMixLoad({ url: service.url, connections, durationSec, products });
    const after = await scrapePool(service.url);
    const waitBuckets = after.acquireBuckets.map(({ le, count }) => ({
      le,
      count: count - (before.acquireBuckets.find((b) => b.le === le)?.count ?? 0),
    }));
    return {
      poolSize,
      load,
      acquireTimeouts: after.timeouts - before.timeouts,
      acquireWaitP99Ms: Math.round(histogramQuantile(0.99, waitBuckets) * 1000),
      maxWaiting,
      maxActiveBackends,
      serverConnections: after.total,
    };
  } finally {
    watcher?.stop();
    sampling = false;
    await sampler.catch(() => {});
    await observer.end();
    await service.stop();
    await db?.proxy.delete();
  }
}

/** Put toxiproxy between the service and Postgres and add latency to every response. */
async function proxyPostgres(
  postgresUrl: string,
  listenPort: number,
  latencyMs: number,
  toxiproxyUrl?: string,
) {
  const upstream = new URL(postgresUrl);
  const listen = `127.0.0.1:${listenPort}`;
  const proxy = await createToxiproxy(toxiproxyUrl).createProxy({
    name: `poc71_pg_${listenPort}`,
    listen,
    upstream: `${upstream.hostname}:${upstream.port || 5432}`,
  });
  await proxy.addToxic({
    name: 'db_latency',
    type: 'latency',
    attributes: { latency: latencyMs, jitter: 0 },
  });
  return { proxy, url: viaProxy(postgresUrl, listen) };
}
