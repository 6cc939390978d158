/**
 * Break the pool both ways and watch it happen.
 *
 *   pnpm --filter poc-71 break [--mode both --duration 10]
 *
 * Steady state (the hypothesis): at the rule-of-thumb size (cores × 2 + spindles) the
 * service absorbs both loads below with 0 acquire timeouts.
 */

import { intFlag, parseCli } from '@pocs/shared/cli';
import { printTable } from '@pocs/shared/table';
import { loadConfig, ruleOfThumbPoolSize } from '../src/config.ts';
import type { ExperimentResult } from '../src/experiments/pool.ts';
import { type ScenarioResult, tooLarge, tooSmall } from '../src/experiments/scenarios.ts';

const args = parseCli(
  `usage: pnpm --filter poc-71 break [options]
  --mode          small | large | both (default both; env BREAK_MODE)
  --duration      seconds per run (default 10; env BREAK_DURATION_SEC)
  --connections   concurrent HTTP connections, too-large run (default 256)
  too small:
  --small-pool    the starved size (default 1)
  --rate          requests/s offered, open loop (default 150)
  --db-latency-ms latency toxiproxy adds to each Postgres response (default 10)
  --acquire-timeout-ms  how long a request waits for a connection (default 500)
  too large:
  --large-pool    the oversized size (default 128)`,
  {
    mode: { type: 'string', default: process.env.BREAK_MODE ?? 'both' },
    duration: { type: 'string', default: process.env.BREAK_DURATION_SEC ?? '10' },
    connections: { type: 'string', default: '256' },
    'small-pool': { type: 'string', default: '1' },
    rate: { type: 'string', default: '150' },
    'db-latency-ms': { type: 'string', default: '10' },
    'acquire-timeout-ms': { type: 'string', default: '500' },
    'large-pool': { type: 'string', default: '128' },
    port: { type: 'string', default: '3271' },
  },
);
if (!['small', 'large', 'both'].includes(args.mode)) {
  console.error(`--mode must be small, large or both, got "${args.mode}"`);
  process.exit(2);
}

const config = loadConfig();
const rule = ruleOfThumbPoolSize(config.EFFECTIVE_SPINDLES);
const common = {
  rulePoolSize: rule,
  connections: intFlag('connections', args.connections),
  durationSec: intFlag('duration', args.duration),
  postgresUrl: config.POSTGRES_URL,
  products: config.SEED_PRODUCTS,
  port: intFlag('port', args.port),
  print: (line: string) => console.log(line),
};

const row = (r: ExperimentResult) => ({
  pool: r.poolSize,
  'req/s': Math.round(r.load.rps),
  'p50 ms': r.load.p50Ms,
  'p99 ms': r.load.p99Ms,
  'non-2xx': r.load.non2xx,
  'acquire timeouts': r.acquireTimeouts,
  'max waiting': r.maxWaiting,
  'pool wait p99 ms': r.acquireWaitP99Ms,
  'busy backends (max)': r.maxActiveBackends,
  'server conns': r.serverConnections,
});
const report = (title: string, { baseline, broken }: ScenarioResult) => {
  console.log(`\n${title}: what moved`);
  printTable({ baseline: row(baseline), broken: row(broken) });
};

console.log(
  `Hypothesis: at pool ${rule} (${rule / 2} cores × 2) both loads run with 0 acquire timeouts.\n`,
);
console.log(
  `Where to watch: this break starts its own copies of the service, because each run needs its own pool size: ` +
    `baseline (pool ${rule}) on :${common.port}, broken on :${common.port + 10}. The lines below are scraped from ` +
    `their /metrics once a second (curl -s localhost:${common.port + 10}/metrics | grep db_pool while it runs); ` +
    'a poc-71 you started on :3071 is not involved.\n',
);
let held = true;
const fixLines: string[] = [];
if (args.mode !== 'large') {
  const rate = intFlag('rate', args.rate);
  const dbLatencyMs = intFlag('db-latency-ms', args['db-latency-ms'], 0);
  console.log(
    `Injecting: pool ${args['small-pool']}, ${rate} req/s, +${dbLatencyMs} ms on every Postgres response (toxiproxy)`,
  );
  const r = await tooSmall({
    ...common,
    brokenPoolSize: intFlag('small-pool', args['small-pool']),
    rate,
    dbLatencyMs,
    toxiproxyUrl: config.TOXIPROXY_URL,
    acquireTimeoutMs: intFlag('acquire-timeout-ms', args['acquire-timeout-ms']),
  });
  report('Too small', r);
  held &&= r.baseline.acquireTimeouts === 0;
  console.log(
    `→ ${r.broken.acquireTimeouts} requests gave up waiting for a connection (baseline: ${r.baseline.acquireTimeouts}).`,
  );
  fixLines.push(
    `too small (pool ${r.broken.poolSize} → ${rule}): acquire timeouts ${r.broken.acquireTimeouts} → ${r.baseline.acquireTimeouts}, ` +
      `pool wait p99 ${r.broken.acquireWaitP99Ms} → ${r.baseline.acquireWaitP99Ms} ms`,
  );
}
if (args.mode !== 'small') {
  console.log(
    `\nInjecting: pool ${args['large-pool']} at ${common.connections} connections, flat out`,
  );
  const r = await tooLarge({
    ...common,
    brokenPoolSize: intFlag('large-pool', args['large-pool']),
    acquireTimeoutMs: config.PG_ACQUIRE_TIMEOUT_MS,
  });
  report('Too large', r);
  held &&= r.baseline.acquireTimeouts === 0;
  console.log(
    `→ Postgres ran up to ${r.broken.maxActiveBackends} queries at once on ${rule / 2} cores (baseline: ${r.baseline.maxActiveBackends}); ` +
      `p99 ${r.broken.load.p99Ms} ms vs ${r.baseline.load.p99Ms} ms.`,
  );
  fixLines.push(
    `too large (pool ${r.broken.poolSize} → ${rule}): busy backends ${r.broken.maxActiveBackends} → ${r.baseline.maxActiveBackends}, ` +
      `p99 ${r.broken.load.p99Ms} → ${r.baseline.load.p99Ms} ms, ${Math.round(r.broken.load.rps)} → ${Math.round(r.baseline.load.rps)} req/s`,
  );
}
console.log(
  held
    ? `\nSteady state held at pool ${rule}.`
    : `\nSteady state did NOT hold at pool ${rule}: is the machine busy?`,
);
console.log(
  `The fix: PG_POOL_MAX=${rule} (cores × 2 + EFFECTIVE_SPINDLES), with PG_ACQUIRE_TIMEOUT_MS so a starved pool answers 503 instead of queueing forever.`,
);
for (const line of fixLines) console.log(`  ${line}`);
console.log(
  `\nCleaned up: the service processes this break started (ports ${common.port}, ${common.port + 10}) ` +
    'are stopped and its toxiproxy proxies deleted. Postgres and toxiproxy are still running ' +
    '(pnpm services down stops them); a poc-71 you started yourself on :3071 was not touched.',
);
