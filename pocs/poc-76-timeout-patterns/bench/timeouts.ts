/**
 * Bench: (1) inventory's latency distribution, from which the per-try timeout is derived;
 * (2) broken vs fixed under the same fault schedule (normal → 10 s latency → blackhole →
 * normal), in-flight at every hop over time; (3) retry amplification at inventory.
 *
 *   pnpm --filter poc-76 bench        (about 2.5 minutes; writes results/timeouts.json + .svg)
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderLineChart } from '@pocs/shared/chart';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { withProgress } from '@pocs/shared/progress';
import { writeResult } from '@pocs/shared/results';
import { postgresVersion, toxiproxyVersion } from '@pocs/shared/service-versions';
import { percentile } from '@pocs/shared/stats';
import { printTable } from '@pocs/shared/table';
import { loadConfig } from '../src/config.ts';
import { measureAmplification } from '../src/experiments/amplification.ts';
import { benchPorts, startChain } from '../src/experiments/chain.ts';
import {
  deriveTryTimeoutMs,
  measureInventoryLatency,
  runFaultSchedule,
  type ScheduleOptions,
  type ScheduleResult,
} from '../src/experiments/schedule.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-76 bench [options]
  --rate          gateway requests/s, open loop (default 20)
  --probe         inventory requests for the latency distribution (default 5000)`,
  {
    rate: { type: 'string', default: '20' },
    probe: { type: 'string', default: '5000' },
  },
);
const config = loadConfig();
const postgresUrl = config.POSTGRES_URL;
const pocDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const schedule: ScheduleOptions = {
  ratePerSec: intFlag('rate', args.rate),
  normalSec: 5,
  latencySec: 10,
  blackholeSec: 5,
  recoveredSec: 10,
  latencyMs: 10_000,
  giveUpMs: 15_000,
  sampleEveryMs: 500,
  print: (line) => console.log(line),
};
const schema = (tag: string) => `poc76_bench_${tag}_${process.pid}`;

// 1. Inventory's latency as orders sees it, and the per-try timeout it implies.
let probe: Awaited<ReturnType<typeof measureInventoryLatency>>;
{
  const chain = await startChain({
    ports: benchPorts,
    broken: false,
    postgresUrl,
    toxiproxyUrl: config.TOXIPROXY_URL,
    schema: schema('probe'),
  });
  try {
    await measureInventoryLatency(chain.inventoryViaProxyUrl, { requests: 500, concurrency: 4 }); // warm-up
    probe = await measureInventoryLatency(chain.inventoryViaProxyUrl, {
      requests: intFlag('probe', args.probe),
      concurrency: 4,
    });
  } finally {
    await chain.stop();
  }
}
const derivedTryTimeoutMs = deriveTryTimeoutMs(probe.p999Ms);
console.log(
  `inventory latency (${probe.requests} calls, ${probe.concurrency} at a time): p50 ${probe.p50Ms} ms, p99 ${probe.p99Ms} ms, p99.9 ${probe.p999Ms} ms, max ${probe.maxMs} ms`,
);
console.log(
  `→ per-try timeout 2 × p99.9 (floor 150 ms) = ${derivedTryTimeoutMs} ms (INVENTORY_TIMEOUT_MS default ${config.INVENTORY_TIMEOUT_MS})`,
);

// 2. The same fault schedule, broken then fixed.
const runs: Record<'broken' | 'fixed', ScheduleResult> = {} as never;
for (const mode of ['broken', 'fixed'] as const) {
  const chain = await startChain({
    ports: benchPorts,
    broken: mode === 'broken',
    postgresUrl,
    toxiproxyUrl: config.TOXIPROXY_URL,
    schema: schema(mode),
  });
  try {
    runs[mode] = await withProgress(`▶ ${mode}: ${schedule.ratePerSec} req/s for 30 s`, () =>
      runFaultSchedule(chain, schedule),
    );
  } finally {
    await chain.stop();
  }
  printTable(Object.fromEntries(runs[mode].phases.map(({ phase, ...rest }) => [phase, rest])));
  console.log(
    `  max in flight: gateway ${runs[mode].maxInFlight.gateway}, orders ${runs[mode].maxInFlight.orders}; ` +
      `gateway still working on ${runs[mode].gatewayInFlightAtEnd} after the load ended; inventory calls ${runs[mode].inventoryCalls}`,
  );
}

// 3. Amplification while inventory's database is cut.
const amplification = [];
const variants: {
  name: string;
  broken: boolean;
  clientTries: number;
  env: Record<string, string>;
}[] = [
  { name: 'layered: 3 tries at client, gateway and orders', broken: true, clientTries: 3, env: {} },
  {
    name: 'single layer: 3 tries at orders only (breaker off)',
    broken: false,
    clientTries: 1,
    env: { ORDERS_RETRIES: '2', BREAKER_VOLUME_THRESHOLD: '1000000' },
  },
  { name: 'fixed: 1 retry at orders + breaker', broken: false, clientTries: 1, env: {} },
];
for (const variant of variants) {
  const chain = await startChain({
    ports: benchPorts,
    broken: variant.broken,
    postgresUrl,
    toxiproxyUrl: config.TOXIPROXY_URL,
    schema: schema('amp'),
    env: variant.env,
  });
  try {
    const one = await measureAmplification(chain, {
      userRequests: 1,
      clientTries: variant.clientTries,
    });
    const ten = await measureAmplification(chain, {
      userRequests: 10,
      clientTries: variant.clientTries,
    });
    amplification.push({
      variant: variant.name,
      callsForOneRequest: one.inventoryCalls,
      callsForTenMoreRequests: ten.inventoryCalls,
    });
  } finally {
    await chain.stop();
  }
}
printTable(amplification);

const slim = (r: ScheduleResult) => ({
  phases: r.phases,
  maxInFlight: r.maxInFlight,
  gatewayInFlightAtEnd: r.gatewayInFlightAtEnd,
  inventoryCalls: r.inventoryCalls,
  samples: r.samples,
});
const data = {
  inventoryLatency: probe,
  timeouts: {
    rule: 'per-try timeout = 2 × inventory p99.9 (rounded up to 10 ms, floor 150 ms); orders budget = (1 + ORDERS_RETRIES) × per-try + HOP_RESERVE_MS, rounded up to 100 ms; gateway deadline = orders budget + 100 ms for its own hop',
    derivedOrdersTimeoutMs:
      Math.ceil(((1 + config.ORDERS_RETRIES) * derivedTryTimeoutMs + config.HOP_RESERVE_MS) / 100) *
      100,
    derivedTryTimeoutMs,
    INVENTORY_TIMEOUT_MS: config.INVENTORY_TIMEOUT_MS,
    ORDERS_RETRIES: config.ORDERS_RETRIES,
    ORDERS_TIMEOUT_MS: config.ORDERS_TIMEOUT_MS,
    GATEWAY_DEADLINE_MS: config.GATEWAY_DEADLINE_MS,
  },
  schedule: { ...schedule, print: undefined },
  broken: slim(runs.broken),
  fixed: slim(runs.fixed),
  amplification,
};
const p99BySecond = (r: ScheduleResult) => {
  const bySec = new Map<number, number[]>();
  for (const q of r.requests) {
    const sec = Math.floor(q.sentAtMs / 1000);
    const lat = q.status === 0 ? schedule.giveUpMs : q.latencyMs!;
    bySec.set(sec, [...(bySec.get(sec) ?? []), lat]);
  }
  return [...bySec.entries()].map(([sec, l]): [number, number] => {
    return [sec, percentile(l, 0.99) / 1000];
  });
};
const markers = [
  { x: schedule.normalSec, label: 'latency' },
  { x: schedule.normalSec + schedule.latencySec, label: 'blackhole' },
  { x: schedule.normalSec + schedule.latencySec + schedule.blackholeSec, label: 'removed' },
];
const chart = renderLineChart({
  title: `Gateway under 10 s latency then a blackhole at inventory (${schedule.ratePerSec} req/s)`,
  xLabel: 'seconds',
  panels: [
    {
      title: 'requests in flight at the gateway',
      yLabel: 'requests',
      markers,
      series: (['broken', 'fixed'] as const).map((m) => ({
        name: m === 'broken' ? 'no timeouts' : 'fixed',
        points: runs[m].samples.map((s): [number, number] => [s.atSec, s.gateway]),
      })),
    },
    {
      title: 'p99 latency by send second (given up = 15 s)',
      yLabel: 'seconds',
      markers,
      series: (['broken', 'fixed'] as const).map((m) => ({
        name: m === 'broken' ? 'no timeouts' : 'fixed',
        points: p99BySecond(runs[m]),
      })),
    },
  ],
});
await writeResult({
  pocDir,
  poc: 'poc-76',
  bench: 'timeouts',
  script: 'bench',
  write: args.write,
  services: {
    postgres: await postgresVersion(postgresUrl),
    toxiproxy: await toxiproxyVersion(config.TOXIPROXY_URL),
  },
  data,
  files: { 'timeouts.svg': chart },
});
