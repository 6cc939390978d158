/**
 * Break the pool both ways and watch it happen.
 *
 *   pnpm --filter poc-71 break [--mode both]
 *
 * Steady state (the hypothesis): at the rule-of-thumb size (cores × 2 + spindles) a burst
 * is served with 0 acquire timeouts, and a fleet of such pools fits the database's
 * connection budget with 0 refused connections.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { writeResult } from '@pocs/shared/results';
import { postgresVersion, toxiproxyVersion } from '@pocs/shared/service-versions';
import { printTable } from '@pocs/shared/table';
import { loadConfig, ruleOfThumbPoolSize } from '../src/config.ts';
import { type Run, tooLarge, tooSmall } from '../src/experiments/scenarios.ts';

const pocDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = parseResultsCli(
  `usage: pnpm --filter poc-71 break [options]
  --mode                small | large | both (default both; env BREAK_MODE)
  --acquire-timeout-ms  how long a request waits for a connection (default 2000)
  too small (one service, a burst of lookups held by network latency):
  --small-pool          the starved size (default 1)
  --small-burst         requests sent at once (default 20)
  --db-latency-ms       latency toxiproxy adds to each Postgres response (default 200)
  too large (a fleet of services sharing one connection budget):
  --large-pool          the oversized size (default 16)
  --instances           service instances in the fleet (default 2)
  --connection-limit    CONNECTION LIMIT of the fleet's role (default 16)
  --large-burst         requests per instance at once (default 16)
  --large-db-latency-ms latency per Postgres response, so requests overlap (default 50)
  --port                first service port (default 3271; broken runs use port + 10)
  --proxy-port          toxiproxy listener (default 27711)`,
  {
    mode: { type: 'string', default: process.env.BREAK_MODE ?? 'both' },
    'acquire-timeout-ms': { type: 'string', default: '2000' },
    'small-pool': { type: 'string', default: '1' },
    'small-burst': { type: 'string', default: '20' },
    'db-latency-ms': { type: 'string', default: '200' },
    'large-pool': { type: 'string', default: '16' },
    instances: { type: 'string', default: '2' },
    'connection-limit': { type: 'string', default: '16' },
    'large-burst': { type: 'string', default: '16' },
    'large-db-latency-ms': { type: 'string', default: '100' },
    port: { type: 'string', default: '3271' },
    'proxy-port': { type: 'string', default: '27711' },
  },
);
if (!['small', 'large', 'both'].includes(args.mode)) {
  console.error(`--mode must be small, large or both, got "${args.mode}"`);
  process.exit(2);
}

const config = loadConfig();
const rule = ruleOfThumbPoolSize(config.EFFECTIVE_SPINDLES);
const acquireTimeoutMs = intFlag('acquire-timeout-ms', args['acquire-timeout-ms']);
const common = {
  rulePoolSize: rule,
  acquireTimeoutMs,
  postgresUrl: config.POSTGRES_URL,
  products: config.SEED_PRODUCTS,
  port: intFlag('port', args.port),
  proxyPort: intFlag('proxy-port', args['proxy-port']),
  toxiproxyUrl: config.TOXIPROXY_URL,
  print: (line: string) => console.log(line),
};
const small = {
  brokenPoolSize: intFlag('small-pool', args['small-pool']),
  requests: intFlag('small-burst', args['small-burst']),
  dbLatencyMs: intFlag('db-latency-ms', args['db-latency-ms']),
};
const large = {
  brokenPoolSize: intFlag('large-pool', args['large-pool']),
  instances: intFlag('instances', args.instances),
  connectionLimit: intFlag('connection-limit', args['connection-limit']),
  requests: intFlag('large-burst', args['large-burst']),
  dbLatencyMs: intFlag('large-db-latency-ms', args['large-db-latency-ms']),
};

const row = (r: Run) => ({
  pool: r.poolSize,
  requests: r.burst.requests,
  served: r.burst.served,
  'gave up (503 busy)': r.burst.gaveUp,
  'failed (503 unavail.)': r.burst.failed,
  'acquire timeouts': r.acquireTimeouts,
  'max waiting': r.maxWaiting,
  'last answer ms': r.burst.lastAnswerMs,
  'conns held': r.connectionsHeld,
  refused: r.refusedConnections,
});
const report = (title: string, runs: { baseline: Run; broken: Run }) => {
  console.log(`\n${title}: what moved`);
  printTable({ baseline: row(runs.baseline), broken: row(runs.broken) });
};

console.log(
  `Hypothesis: at pool ${rule} (${rule / 2} cores × 2) a burst of ${small.requests} requests is served in full ` +
    `(0 acquire timeouts), and ${large.instances} instances × ${rule} = ${large.instances * rule} connections fit ` +
    `a budget of ${large.connectionLimit} (0 refused).\n`,
);
console.log(
  `Where to watch: this break starts its own copies of the service, because each run needs its own pool size: ` +
    `baseline from :${common.port}, broken from :${common.port + 10}, all behind a toxiproxy listener on ` +
    `:${common.proxyPort}. The lines below are scraped from their /metrics every 0.5 s ` +
    `(curl -s localhost:${common.port + 10}/metrics | grep db_pool while it runs); a poc-71 you started on :3071 ` +
    'is not involved.\n',
);
let held = true;
const fixLines: string[] = [];
const results: Record<string, unknown> = {};
if (args.mode !== 'large') {
  const { requests, dbLatencyMs, brokenPoolSize } = small;
  console.log(
    `Too small. Injecting: pool ${brokenPoolSize}, +${dbLatencyMs} ms on every Postgres response (toxiproxy), ` +
      `${requests} lookups at once, acquire timeout ${acquireTimeoutMs} ms.`,
  );
  console.log(
    `  Arithmetic: a connection serves one request per ≥ ${dbLatencyMs} ms, so pool P starts at most ` +
      `P × (⌊${acquireTimeoutMs}/${dbLatencyMs}⌋ + 1) requests before the timeout. Pool ${rule}: ` +
      `last of ${requests} starts at ${(Math.ceil(requests / rule) - 1) * dbLatencyMs} ms. Pool ${brokenPoolSize}: ` +
      `at most ${brokenPoolSize * (Math.floor(acquireTimeoutMs / dbLatencyMs) + 1)} of ${requests}.`,
  );
  const r = await tooSmall({ ...common, ...small });
  report('Too small', r);
  held &&= r.baseline.acquireTimeouts === 0 && r.baseline.burst.served === requests;
  console.log(
    `→ pool ${brokenPoolSize} served ${r.broken.burst.served} of ${requests} (at most ${r.broken.plan.capacity} ` +
      `fit in ${acquireTimeoutMs} ms); ${r.broken.burst.gaveUp} gave up with 503 after waiting ${acquireTimeoutMs} ms ` +
      `(baseline: ${r.baseline.burst.gaveUp}).`,
  );
  fixLines.push(
    `too small (pool ${brokenPoolSize} → ${rule}): served ${r.broken.burst.served} → ${r.baseline.burst.served} of ${requests}, ` +
      `acquire timeouts ${r.broken.acquireTimeouts} → ${r.baseline.acquireTimeouts}`,
  );
  results.tooSmall = { settings: { ...small, rulePoolSize: rule, acquireTimeoutMs }, ...r };
}
if (args.mode !== 'small') {
  const { instances, connectionLimit, requests, dbLatencyMs, brokenPoolSize } = large;
  console.log(
    `\nToo large. Injecting: ${instances} instances × pool ${brokenPoolSize} = ${instances * brokenPoolSize} ` +
      `connections wanted, against a role with CONNECTION LIMIT ${connectionLimit} (in place of max_connections); ` +
      `${requests} requests per instance at once, +${dbLatencyMs} ms per Postgres response so they overlap.`,
  );
  const r = await tooLarge({ ...common, ...large });
  report('Too large', r);
  held &&= r.baseline.refusedConnections === 0 && r.baseline.burst.failed === 0;
  console.log(
    `→ the fleet wanted ${r.fleetPlan.broken.wanted} connections, Postgres let ${r.broken.backendsAfterBurst} in ` +
      `and refused ${r.broken.refusedConnections} ("too many connections for role"): ${r.broken.burst.failed} of ` +
      `${r.broken.burst.requests} requests failed fast with 503 (database unavailable, Retry-After). Baseline: ${r.fleetPlan.baseline.wanted} wanted, ` +
      `${r.baseline.backendsAfterBurst} held, ${r.baseline.refusedConnections} refused.`,
  );
  fixLines.push(
    `too large (pool ${brokenPoolSize} → ${rule}, ${instances} instances): connections ${r.fleetPlan.broken.wanted} → ` +
      `${r.fleetPlan.baseline.wanted} of ${connectionLimit}, refused ${r.broken.refusedConnections} → ` +
      `${r.baseline.refusedConnections}, failed requests ${r.broken.burst.failed} → ${r.baseline.burst.failed}`,
  );
  results.tooLarge = {
    settings: { ...large, rulePoolSize: rule, acquireTimeoutMs },
    ...r,
  };
}
console.log(
  held
    ? `\nSteady state held at pool ${rule}.`
    : `\nSteady state did NOT hold at pool ${rule}: see the baseline rows above.`,
);
console.log(
  `The fix: PG_POOL_MAX=${rule} (cores × 2 + EFFECTIVE_SPINDLES), with PG_ACQUIRE_TIMEOUT_MS so a starved pool ` +
    'answers 503 instead of queueing forever, and PG_POOL_MAX × instances ≤ max_connections − headroom.',
);
for (const line of fixLines) console.log(`  ${line}`);
await writeResult({
  pocDir,
  poc: 'poc-71',
  bench: 'break',
  script: 'break',
  write: args.write,
  services: {
    postgres: await postgresVersion(config.POSTGRES_URL),
    toxiproxy: await toxiproxyVersion(config.TOXIPROXY_URL),
  },
  data: { mode: args.mode, steadyStateHeld: held, ...results },
});
console.log(
  `\nCleaned up: the service processes this break started (from ports ${common.port} and ${common.port + 10}) ` +
    `are stopped, its toxiproxy proxy deleted and its role dropped. Postgres and toxiproxy are still running ` +
    '(pnpm services down stops them); a poc-71 you started yourself on :3071 was not touched.',
);
