/**
 * Sweep pool sizes under a fixed, high concurrency and record what each size does
 * to throughput, latency and the time requests spend waiting for a connection.
 *
 *   pnpm --filter poc-71 bench [--sizes 2,4,8,16,32,64,128 --connections 256 --duration 15 --warmup 3]
 */
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderLineChart } from '@pocs/shared/chart';
import { startChildService } from '@pocs/shared/child-service';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { scrapePool } from '@pocs/shared/pool-watch';
import { withProgress } from '@pocs/shared/progress';
import { histogramQuantile } from '@pocs/shared/prom-text';
import { writeResult } from '@pocs/shared/results';
import { postgresVersion } from '@pocs/shared/service-versions';
import { median } from '@pocs/shared/stats';
import { loadConfig, ruleOfThumbPoolSize } from '../src/config.ts';
import { runMixLoad } from '../src/experiments/mix-load.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = parseResultsCli(
  `usage: pnpm --filter poc-71 bench [options]
  --sizes        pool sizes to sweep (default 2,4,8,16,32,64,128)
  --connections  concurrent HTTP connections, fixed for every size (default 256)
  --duration     measured seconds per run (default 10)
  --warmup       unmeasured seconds before each run (default 2)
  --repeats      runs per size; the median is reported (default 3)
  --port         port for the service under test (default 3171)
  --out          folder for sweep.json and sweep.svg (default: see --write)`,
  {
    sizes: { type: 'string', default: '2,4,8,16,32,64,128' },
    connections: { type: 'string', default: '256' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    repeats: { type: 'string', default: '3' },
    port: { type: 'string', default: '3171' },
    out: { type: 'string' },
  },
);

const sizes = args.sizes.split(',').map((s) => intFlag('sizes', s.trim()));
const connections = intFlag('connections', args.connections);
const durationSec = intFlag('duration', args.duration);
const warmupSec = intFlag('warmup', args.warmup, 0);
const port = intFlag('port', args.port);
const repeats = intFlag('repeats', args.repeats);

const config = loadConfig();
const cores = availableParallelism();
const rule = ruleOfThumbPoolSize(config.EFFECTIVE_SPINDLES, cores);
// A generous acquire timeout: the sweep measures queueing, not how fast requests give up.
const ACQUIRE_TIMEOUT_MS = 10_000;

console.log(
  `poc-71 bench: ${sizes.length} pool sizes × ${repeats} runs × ${durationSec}s at ${connections} connections (${cores} cores, rule of thumb ${rule})`,
);

async function measure(size: number) {
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
    const products = config.SEED_PRODUCTS;
    if (warmupSec > 0)
      await runMixLoad({ url: service.url, connections, durationSec: warmupSec, products });
    const before = await scrapePool(service.url);
    const load = await runMixLoad({ url: service.url, connections, durationSec, products });
    const after = await scrapePool(service.url);
    const waitBuckets = after.acquireBuckets.map(({ le, count }) => ({
      le,
      count: count - (before.acquireBuckets.find((b) => b.le === le)?.count ?? 0),
    }));
    return {
      ...load,
      serverConnections: after.total,
      acquireWaitP50Ms: round(histogramQuantile(0.5, waitBuckets) * 1000),
      acquireWaitP99Ms: round(histogramQuantile(0.99, waitBuckets) * 1000),
      acquireTimeouts: after.timeouts - before.timeouts,
    };
  } finally {
    await service.stop();
  }
}

// Repetitions go round the sizes (not size after size) so drift on the machine spreads
// over every size instead of favouring one; each size reports the median run.
const runsBySize = new Map<number, Awaited<ReturnType<typeof measure>>[]>();
for (let rep = 1; rep <= repeats; rep++) {
  for (const size of sizes) {
    const run = await withProgress(`[${rep}/${repeats}] pool ${String(size).padStart(3)}`, () =>
      measure(size),
    );
    runsBySize.set(size, [...(runsBySize.get(size) ?? []), run]);
    console.log(
      `[${rep}/${repeats}] pool ${String(size).padStart(3)}: ${Math.round(run.rps)} req/s, p50 ${run.p50Ms} ms, ` +
        `p99 ${run.p99Ms} ms, pool wait p99 ${run.acquireWaitP99Ms} ms, non-2xx ${run.non2xx}, errors ${run.errors}`,
    );
  }
}

const rows = sizes.map((size) => {
  const runs = runsBySize.get(size)!;
  const of = (pick: (r: (typeof runs)[number]) => number | null) =>
    median(runs.map((r) => pick(r) ?? Number.NaN));
  return {
    poolSize: size,
    rps: Math.round(of((r) => r.rps)),
    p50Ms: of((r) => r.p50Ms),
    p99Ms: of((r) => r.p99Ms),
    p99MsRange: [Math.min(...runs.map((r) => r.p99Ms)), Math.max(...runs.map((r) => r.p99Ms))],
    acquireWaitP99Ms: of((r) => r.acquireWaitP99Ms),
    serverConnections: Math.max(...runs.map((r) => r.serverConnections)),
    acquireTimeouts: runs.reduce((n, r) => n + r.acquireTimeouts, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    runs,
  };
});

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
const data = {
  description: 'pool-size sweep',
  settings: {
    connections,
    repeats,
    durationSec,
    warmupSec,
    acquireTimeoutMs: ACQUIRE_TIMEOUT_MS,
    seedProducts: config.SEED_PRODUCTS,
    mix: '60% primary-key lookup, 20% category page, 20% sales report (join + aggregate)',
  },
  summary,
  rows,
};

const marker = [{ x: rule, label: `rule: ${cores}×2+${config.EFFECTIVE_SPINDLES} = ${rule}` }];
const chart = renderLineChart({
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
});
await writeResult({
  pocDir: root,
  poc: 'poc-71',
  bench: 'sweep',
  script: 'bench',
  // Every knob spelled out, so the command re-runs this sweep even if a default changes.
  argv: [
    ...['--sizes', sizes.join(','), '--connections', String(connections)],
    ...['--duration', String(durationSec), '--warmup', String(warmupSec)],
    ...['--repeats', String(repeats), ...(args.write ? ['--write'] : [])],
  ],
  write: args.write,
  outDir: args.out,
  services: { postgres: await postgresVersion(config.POSTGRES_URL) },
  data,
  files: { 'sweep.svg': chart },
});
console.log(JSON.stringify(summary));
