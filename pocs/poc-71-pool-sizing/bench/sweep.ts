/**
 * Sweep pool sizes under a fixed, high concurrency and record what each size does
 * to throughput, latency and the time requests spend waiting for a connection.
 *
 *   pnpm --filter poc-71 bench [--sizes 2,4,8,16,32,64,128 --connections 256 --duration 15 --warmup 3]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderLineChart } from '@pocs/shared/chart';
import { startChildService } from '@pocs/shared/child-service';
import { intFlag, parseCli } from '@pocs/shared/cli';
import { scrapePool } from '@pocs/shared/pool-watch';
import { histogramQuantile } from '@pocs/shared/prom-text';
import { loadConfig, ruleOfThumbPoolSize } from '../src/config.ts';
import { runMixLoad } from './mix-load.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = parseCli(
  `usage: pnpm --filter poc-71 bench [options]
  --sizes        pool sizes to sweep (default 2,4,8,16,32,64,128)
  --connections  concurrent HTTP connections, fixed for every size (default 256)
  --duration     measured seconds per size (default 15)
  --warmup       unmeasured seconds per size first (default 3)
  --port         port for the service under test (default 3171)
  --out          folder for sweep.json and sweep.svg (default results/)`,
  {
    sizes: { type: 'string', default: '2,4,8,16,32,64,128' },
    connections: { type: 'string', default: '256' },
    duration: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    port: { type: 'string', default: '3171' },
    out: { type: 'string', default: join(root, 'results') },
  },
);

const sizes = args.sizes.split(',').map((s) => intFlag('sizes', s.trim()));
const connections = intFlag('connections', args.connections);
const durationSec = intFlag('duration', args.duration);
const warmupSec = intFlag('warmup', args.warmup, 0);
const port = intFlag('port', args.port);

const config = loadConfig();
const cores = availableParallelism();
const rule = ruleOfThumbPoolSize(config.EFFECTIVE_SPINDLES, cores);
// A generous acquire timeout: the sweep measures queueing, not how fast requests give up.
const ACQUIRE_TIMEOUT_MS = 10_000;

console.log(
  `poc-71 bench: ${sizes.length} pool sizes × ${durationSec}s at ${connections} connections (${cores} cores, rule of thumb ${rule})`,
);

const rows = [];
for (const size of sizes) {
  const service = await startChildService({
    entry: 'src/server.ts',
    cwd: root,
    port,
    env: {
      PG_POOL_MAX: String(size),
      PG_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS),
      PG_LEAK_THRESHOLD_MS: '0',
    },
  });
  try {
    if (warmupSec > 0)
      await runMixLoad({
        url: service.url,
        connections,
        durationSec: warmupSec,
        products: config.SEED_PRODUCTS,
      });
    const before = await scrapePool(service.url);
    const load = await runMixLoad({
      url: service.url,
      connections,
      durationSec,
      products: config.SEED_PRODUCTS,
    });
    const after = await scrapePool(service.url);
    const waitBuckets = after.acquireBuckets.map(({ le, count }) => ({
      le,
      count: count - (before.acquireBuckets.find((b) => b.le === le)?.count ?? 0),
    }));
    const row = {
      poolSize: size,
      ...load,
      serverConnections: after.total,
      acquireWaitP50Ms: round(histogramQuantile(0.5, waitBuckets) * 1000),
      acquireWaitP99Ms: round(histogramQuantile(0.99, waitBuckets) * 1000),
      acquireTimeouts: after.timeouts - before.timeouts,
    };
    rows.push(row);
    console.log(
      `pool ${String(size).padStart(3)}: ${Math.round(row.rps)} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, ` +
        `acquire wait p99 ${row.acquireWaitP99Ms} ms, non-2xx ${row.non2xx}, errors ${row.errors}`,
    );
  } finally {
    await service.stop();
  }
}

function round(n: number) {
  return Number.isFinite(n) ? Math.round(n * 10) / 10 : null;
}

const best = rows.reduce((a, b) =>
  b.p99Ms < a.p99Ms || (b.p99Ms === a.p99Ms && b.rps > a.rps) ? b : a,
);
const largest = rows.reduce((a, b) => (b.poolSize > a.poolSize ? b : a));
const summary = {
  bestPoolSize: best.poolSize,
  bestP99Ms: best.p99Ms,
  bestRps: Math.round(best.rps),
  ruleOfThumbPoolSize: rule,
  bestWithin2xOfRule: best.poolSize <= rule * 2 && best.poolSize >= rule / 2,
  largestPoolSize: largest.poolSize,
  largestP99Ms: largest.p99Ms,
  largestRps: Math.round(largest.rps),
  largestP99OverBest: Math.round((largest.p99Ms / best.p99Ms) * 100) / 100,
};
const result = {
  poc: 'poc-71',
  bench: 'pool-size sweep',
  command: `pnpm --filter poc-71 bench -- --sizes ${sizes.join(',')} --connections ${connections} --duration ${durationSec} --warmup ${warmupSec}`,
  recordedAt: new Date().toISOString(),
  machine: { cores, node: process.version },
  settings: {
    connections,
    durationSec,
    warmupSec,
    acquireTimeoutMs: ACQUIRE_TIMEOUT_MS,
    seedProducts: config.SEED_PRODUCTS,
    mix: '80% pk lookup, 15% category page, 5% aggregate',
  },
  summary,
  rows,
};

await mkdir(args.out, { recursive: true });
await writeFile(join(args.out, 'sweep.json'), `${JSON.stringify(result, null, 2)}\n`);
const marker = [{ x: rule, label: `rule: ${cores}×2+${config.EFFECTIVE_SPINDLES} = ${rule}` }];
await writeFile(
  join(args.out, 'sweep.svg'),
  renderLineChart({
    title: `Pool size sweep: ${connections} concurrent connections, ${cores} cores`,
    xLabel: 'pool size (max connections)',
    xLog: true,
    panels: [
      {
        title: 'Latency',
        yLabel: 'ms',
        yLog: true,
        markers: marker,
        series: [
          { name: 'p99', points: rows.map((r) => [r.poolSize, r.p99Ms]) },
          { name: 'p50', points: rows.map((r) => [r.poolSize, r.p50Ms]) },
          {
            name: 'pool wait p99',
            points: rows.map((r) => [r.poolSize, r.acquireWaitP99Ms ?? Number.NaN]),
          },
        ],
      },
      {
        title: 'Throughput',
        yLabel: 'requests / s',
        markers: marker,
        series: [{ name: 'req/s', points: rows.map((r) => [r.poolSize, r.rps]) }],
      },
    ],
  }),
);
console.log(JSON.stringify(summary));
console.log(`wrote ${join(args.out, 'sweep.json')} and sweep.svg`);
