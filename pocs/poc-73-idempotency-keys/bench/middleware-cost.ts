/**
 * What the idempotency middleware costs: the same endpoint (one Postgres INSERT) without
 * the middleware, with the Redis store and with the Postgres store. Every request carries
 * a fresh key (the common case: a first attempt, no replay).
 *   - added p50 latency: 1 connection, sequential requests, timed in this process;
 *   - throughput: autocannon at 8 and 32 connections.
 * Target (issue 4): p50 added < 1 ms and throughput ≥ 80% of no-middleware (Redis store).
 *
 *   pnpm --filter poc-73 bench [--requests 3000 --duration 8]
 */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { renderLineChart } from '@pocs/shared/chart';
import { startChildService } from '@pocs/shared/child-service';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { serviceDefaults } from '@pocs/shared/config';
import { createPool } from '@pocs/shared/pool';
import { withProgress } from '@pocs/shared/progress';
import { writeResult } from '@pocs/shared/results';
import { postgresVersion, redisVersion } from '@pocs/shared/service-versions';
import { median, percentile } from '@pocs/shared/stats';
import autocannon from 'autocannon';
import { pocRoot } from '../src/experiments/payments.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-73 bench [options]
  --requests   sequential requests per store for the latency figure (default 3000)
  --duration   seconds per autocannon run (default 8)
  --repeats    rounds over the three setups; medians are reported (default 3)
  --port       port for the service under test (default 3473)`,
  {
    requests: { type: 'string', default: '3000' },
    duration: { type: 'string', default: '8' },
    repeats: { type: 'string', default: '3' },
    port: { type: 'string', default: '3473' },
  },
);
const requests = intFlag('requests', args.requests);
const durationSec = intFlag('duration', args.duration);
const repeats = intFlag('repeats', args.repeats);
const port = intFlag('port', args.port);
const postgresUrl = process.env.POSTGRES_URL ?? serviceDefaults.POSTGRES_URL;
const schema = `poc73_bench_${Date.now().toString(36)}`;
const stores = ['none', 'redis', 'postgres'] as const;
const connectionsList = [8, 32];

function sequentialLatencies(url: string, n: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ name: 'w' });
      const started = performance.now();
      const req = httpRequest(
        `${url}/widgets`,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'idempotency-key': randomUUID(),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 201
              ? resolve(performance.now() - started)
              : reject(new Error(`answered ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return (async () => {
    const out: number[] = [];
    for (let i = 0; i < 200; i++) await one(); // warm-up: JIT, pools, connections
    for (let i = 0; i < n; i++) out.push(await one());
    agent.destroy();
    return out;
  })();
}

const quantile = (values: number[], q: number) => Math.round(percentile(values, q) * 1000) / 1000;

async function throughput(url: string, connections: number) {
  const result = await autocannon({
    url: `${url}/widgets`,
    connections,
    duration: durationSec,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'w' }),
        setupRequest: (req) => ({
          ...req,
          headers: { ...req.headers, 'idempotency-key': randomUUID() },
        }),
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${result.non2xx} non-2xx and ${result.errors} errors at ${connections} connections`,
    );
  }
  return { connections, reqPerSec: Math.round(result.requests.average), p99Ms: result.latency.p99 };
}

console.log(
  `poc-73 bench: POST /widgets (one INSERT), no middleware vs Redis store vs Postgres store; fresh key per request`,
);
type Run = {
  store: (typeof stores)[number];
  p50Ms: number;
  p99Ms: number;
  throughput: { connections: number; reqPerSec: number; p99Ms: number }[];
};
const rawRuns: (Run & { round: number })[] = [];
try {
  // Rounds go over all three setups in turn, so drift on this shared machine spreads
  // over every setup instead of favouring one; each setup reports its median round.
  for (let round = 1; round <= repeats; round++)
    for (const store of stores) {
      const service = await startChildService({
        entry: 'bench/middleware-server.ts',
        cwd: pocRoot,
        port,
        env: {
          BENCH_STORE: store,
          BENCH_SCHEMA: schema,
          POSTGRES_URL: postgresUrl,
          LOG_LEVEL: 'error',
        },
      });
      try {
        const tag = `  [${round}/${repeats}] ${store.padEnd(8)}`;
        const latencies = await withProgress(`${tag} ${requests} sequential requests`, () =>
          sequentialLatencies(service.url, requests),
        );
        const load = [];
        for (const connections of connectionsList)
          load.push(
            await withProgress(`${tag} autocannon @${connections} for ${durationSec} s`, () =>
              throughput(service.url, connections),
            ),
          );
        const run = {
          store,
          p50Ms: quantile(latencies, 0.5),
          p99Ms: quantile(latencies, 0.99),
          throughput: load,
        };
        console.log(
          `  [${round}/${repeats}] ${store.padEnd(8)} p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms (sequential); ${load.map((l) => `${l.reqPerSec} req/s @${l.connections}`).join(', ')}`,
        );
        rawRuns.push({ ...run, round });
      } finally {
        await service.stop();
      }
    }
} finally {
  const pool = createPool({ connectionString: postgresUrl, max: 1, acquireTimeoutMs: 5_000 });
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
  // Redis keys expire after 24 h; delete them now so the bench leaves nothing behind.
  const { Redis } = await import('ioredis');
  const redis = new Redis(process.env.REDIS_URL ?? serviceDefaults.REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${schema}:idem:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
}

const runs: Run[] = stores.map((store) => {
  const mine = rawRuns.filter((r) => r.store === store);
  return {
    store,
    p50Ms: median(mine.map((r) => r.p50Ms)),
    p99Ms: median(mine.map((r) => r.p99Ms)),
    throughput: connectionsList.map((connections, i) => ({
      connections,
      reqPerSec: Math.round(median(mine.map((r) => r.throughput[i]!.reqPerSec))),
      p99Ms: median(mine.map((r) => r.throughput[i]!.p99Ms)),
    })),
  };
});
const base = runs.find((r) => r.store === 'none')!;
const summary = runs
  .filter((r) => r.store !== 'none')
  .map((r) => ({
    store: r.store,
    addedP50Ms: Math.round((r.p50Ms - base.p50Ms) * 1000) / 1000,
    throughputVsNone: r.throughput.map((l, i) => ({
      connections: l.connections,
      ratio: Math.round((l.reqPerSec / base.throughput[i]!.reqPerSec) * 100) / 100,
    })),
  }));
for (const s of summary) {
  const ratios = s.throughputVsNone.map((t) => `${Math.round(t.ratio * 100)}% @${t.connections}`);
  const meets = s.addedP50Ms < 1 && s.throughputVsNone.every((t) => t.ratio >= 0.8);
  console.log(
    `  ${s.store}: +${s.addedP50Ms} ms p50, throughput ${ratios.join(', ')} of no-middleware → target ${meets ? 'met' : 'NOT met'}`,
  );
}

const data = {
  endpoint: 'POST /widgets: one Postgres INSERT; a fresh Idempotency-Key per request',
  settings: { requests, durationSec, repeats, connections: connectionsList },
  runs,
  rawRuns,
  summary,
};
const chart = renderLineChart({
  title: 'Idempotency middleware cost: same endpoint, three ways',
  xLabel: 'concurrent connections',
  panels: [
    {
      title: 'throughput',
      yLabel: 'req/s',
      series: runs.map((r) => ({
        name: r.store === 'none' ? 'no middleware' : `${r.store} store`,
        points: r.throughput.map((l) => [l.connections, l.reqPerSec] as [number, number]),
      })),
    },
  ],
});
await writeResult({
  pocDir: pocRoot,
  poc: 'poc-73',
  bench: 'middleware-cost',
  script: 'bench',
  // Every knob spelled out, so the command re-runs this bench even if a default changes.
  argv: [
    ...['--requests', String(requests), '--duration', String(durationSec)],
    ...['--repeats', String(repeats), ...(args.write ? ['--write'] : [])],
  ],
  write: args.write,
  services: {
    postgres: await postgresVersion(postgresUrl),
    redis: await redisVersion(process.env.REDIS_URL ?? serviceDefaults.REDIS_URL),
  },
  data,
  files: { 'middleware-cost.svg': chart },
});
