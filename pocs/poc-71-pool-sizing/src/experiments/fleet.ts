import { dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { type ChildService, startChildService } from '@pocs/shared/child-service';
import { type PoolSnapshot, scrapePool } from '@pocs/shared/pool-watch';
import { createToxiproxy, viaProxy } from '@pocs/shared/toxiproxy';
import { type BurstResult, type BurstTally, fireBurst } from './burst.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What Postgres answers a connection over a role's CONNECTION LIMIT (SQLSTATE 53300). */
export const TOO_MANY_CONNECTIONS = 'too many connections for role';

export interface FleetRun {
  instances: number;
  poolSize: number;
  burst: BurstResult;
  /** Sum over the instances of db_pool_acquire_timeouts_total during the burst. */
  acquireTimeouts: number;
  /** Most requests queued for a connection at one progress tick, summed over instances. */
  maxWaiting: number;
  /** Connections the pools held when the burst was over (sum of db_pool_clients total). */
  connectionsHeld: number;
  /** Connections Postgres refused, counted from the services' error logs. */
  refusedConnections: number;
  /** The database's own count, when the caller can tell its backends apart (a role). */
  backendsAfterBurst: number | null;
}

/**
 * Start `instances` copies of the service with one pool size, all behind one toxiproxy
 * proxy that adds `dbLatencyMs` to every Postgres response, send them a burst of
 * lookups at once and count how every request ended. A lookup costs Postgres ~0.1 ms,
 * so the time a connection is held is the network's round trip, not CPU. Always stops
 * the services and deletes the proxy it created.
 */
export async function runFleetBurst({
  instances,
  poolSize,
  requestsPerInstance,
  acquireTimeoutMs,
  dbLatencyMs,
  postgresUrl,
  products,
  port,
  proxyPort,
  toxiproxyUrl,
  countBackends,
  warmUp = false,
  print,
}: {
  instances: number;
  poolSize: number;
  requestsPerInstance: number;
  acquireTimeoutMs: number;
  dbLatencyMs: number;
  /** What the services connect with (user, password); the proxy replaces host and port. */
  postgresUrl: string;
  products: number;
  /** Instance k listens on port + k. */
  port: number;
  proxyPort: number;
  toxiproxyUrl?: string;
  /** Ask the database how many backends the fleet has, right after the burst. */
  countBackends?: () => Promise<number>;
  /**
   * Open every pool's connections before the burst (poolSize requests at once, answered),
   * so the burst measures waiting for a connection, not opening one.
   */
  warmUp?: boolean;
  print?: (line: string) => void;
}): Promise<FleetRun> {
  const upstream = new URL(postgresUrl);
  const listen = `127.0.0.1:${proxyPort}`;
  const proxy = await createToxiproxy(toxiproxyUrl).createProxy({
    name: `poc71_pg_${proxyPort}`,
    listen,
    upstream: `${upstream.hostname}:${upstream.port || 5432}`,
  });
  let refusedConnections = 0;
  const services: ChildService[] = [];
  const stopAll = async () => {
    const stopping = services.splice(0);
    await Promise.all(
      stopping.map(async (s) => {
        await s.stop();
        await Promise.all([s.process.stdout, s.process.stderr].map((o) => o && finished(o)));
      }),
    );
  };
  try {
    print?.(`  starting ${instances} service${instances > 1 ? 's' : ''} (pool ${poolSize})…`);
    const started = await Promise.allSettled(
      Array.from({ length: instances }, (_, k) => {
        let partial = '';
        return startChildService({
          entry: 'src/server.ts',
          cwd: root,
          port: port + k,
          env: {
            PG_POOL_MAX: String(poolSize),
            PG_ACQUIRE_TIMEOUT_MS: String(acquireTimeoutMs),
            POSTGRES_URL: viaProxy(postgresUrl, listen),
            SEED_PRODUCTS: String(products),
          },
          // One pino line per failed request; count those Postgres refused to connect.
          onOutput: (chunk) => {
            const lines = (partial + chunk).split('\n');
            partial = lines.pop() ?? '';
            refusedConnections += lines.filter((l) => l.includes(TOO_MANY_CONNECTIONS)).length;
          },
        });
      }),
    );
    for (const s of started) if (s.status === 'fulfilled') services.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;

    // Latency only now: start-up (seeding check, first connection) stays quick.
    await proxy.addToxic({
      name: 'db_latency',
      type: 'latency',
      attributes: { latency: dbLatencyMs, jitter: 0 },
    });
    const urls = services.map((s) => s.url);
    const scrapeAll = () => Promise.all(urls.map((u) => scrapePool(u)));
    const sum = (snaps: PoolSnapshot[], key: 'timeouts' | 'total' | 'waiting' | 'leased' | 'max') =>
      snaps.reduce((n, s) => n + s[key], 0);
    const lookup = (i: number) => `/products/${1 + ((i * 7919) % products)}`;
    if (warmUp) {
      const warm = await fireBurst({ urls, perUrl: poolSize, path: lookup });
      if (warm.served !== warm.requests) {
        throw new Error(`warm-up: ${warm.served} of ${warm.requests} requests served`);
      }
    }
    const before = await scrapeAll();
    let maxWaiting = 0;
    const total = instances * requestsPerInstance;
    const burst = await fireBurst({
      urls,
      perUrl: requestsPerInstance,
      // Spread over the catalogue; the primary-key lookup is the cheapest query there is.
      path: lookup,
      onTick: async (elapsedMs, t: BurstTally) => {
        const snaps = await scrapeAll().catch(() => undefined);
        const waiting = snaps ? sum(snaps, 'waiting') : 0;
        maxWaiting = Math.max(maxWaiting, waiting);
        const pool = snaps
          ? `pool ${sum(snaps, 'leased')}/${sum(snaps, 'max')} leased, ${waiting} waiting`
          : 'pool (metrics unavailable)';
        print?.(
          `  ${(elapsedMs / 1000).toFixed(1).padStart(4)} s | answered ${t.served + t.gaveUp + t.failed + t.noAnswer}/${total}: ` +
            `${t.served} served, ${t.gaveUp} gave up, ${t.failed} failed | ${pool}`,
        );
      },
    });
    const backendsAfterBurst = countBackends ? await countBackends() : null;
    const after = await scrapeAll();
    await stopAll();
    return {
      instances,
      poolSize,
      burst,
      acquireTimeouts: sum(after, 'timeouts') - sum(before, 'timeouts'),
      maxWaiting,
      connectionsHeld: sum(after, 'total'),
      // Read once the services have exited and their output is drained: every line counted.
      refusedConnections,
      backendsAfterBurst,
    };
  } finally {
    await stopAll();
    await proxy.delete();
  }
}
