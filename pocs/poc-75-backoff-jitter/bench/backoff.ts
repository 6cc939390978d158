/**
 * Brooker's contention experiment (seeded simulation and live on one Postgres row), the
 * thundering herd at recovery per strategy, and load amplification at 100% failure with
 * and without a retry budget.
 *
 *   pnpm --filter poc-75 bench [--herd-clients 200 --outage-ms 10000]   (about 4 minutes)
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backoffStrategies } from '@pocs/shared/backoff';
import { renderLineChart } from '@pocs/shared/chart';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { serviceDefaults } from '@pocs/shared/config';
import { withProgress } from '@pocs/shared/progress';
import { writeResult } from '@pocs/shared/results';
import { postgresVersion, toxiproxyVersion } from '@pocs/shared/service-versions';
import { loadConfig } from '../src/config.ts';
import { type ContentionResult, runContention } from '../src/contention.ts';
import {
  type AmplificationResult,
  type HerdResult,
  runAmplification,
  runBlackholeHerd,
  runHerd,
  startDependency,
} from '../src/experiments/herd.ts';
import { type SimulationResult, simulateContention } from '../src/simulation.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = parseResultsCli(
  `usage: pnpm --filter poc-75 bench [options]
  --base-ms       backoff base, ms (default 5)
  --cap-ms        backoff cap, ms (default 2000)
  --think-ms      read-to-write window of each attempt, ms (default 10)
  --sim-clients   comma-separated client counts for the simulation (default 10,20,30,40,50)
  --live-clients  comma-separated client counts for the live runs (default 10,20,50)
  --seed          seed (default 1)
  --herd-clients  clients in the thundering-herd run (default 200)
  --outage-ms     outage in the herd run, ms (default 10000)
  --capacity      dependency capacity per 100 ms (default 40)
  --attempt-timeout-ms  per-attempt timeout in the blackholed-network herd, ms (default 250)
  --port          port for the dependency (default 3475)
  --out           folder for backoff.json and the charts (default: see --write)`,
  {
    'base-ms': { type: 'string', default: '5' },
    'cap-ms': { type: 'string', default: '2000' },
    'think-ms': { type: 'string', default: '10' },
    'sim-clients': { type: 'string', default: '10,20,30,40,50' },
    'live-clients': { type: 'string', default: '10,20,50' },
    seed: { type: 'string', default: '1' },
    'herd-clients': { type: 'string', default: '200' },
    'outage-ms': { type: 'string', default: '10000' },
    capacity: { type: 'string', default: '40' },
    'attempt-timeout-ms': { type: 'string', default: '250' },
    port: { type: 'string', default: '3475' },
    out: { type: 'string' },
  },
);
const list = (name: string, raw: string) => raw.split(',').map((v) => intFlag(name, v.trim()));
const baseMs = intFlag('base-ms', args['base-ms']);
const capMs = intFlag('cap-ms', args['cap-ms']);
const thinkMs = intFlag('think-ms', args['think-ms'], 0);
const simClients = list('sim-clients', args['sim-clients']);
const liveClients = list('live-clients', args['live-clients']);
const seed = intFlag('seed', args.seed, 0);
const herdClients = intFlag('herd-clients', args['herd-clients']);
const outageMs = intFlag('outage-ms', args['outage-ms']);
const capacity = intFlag('capacity', args.capacity);
const attemptTimeoutMs = intFlag('attempt-timeout-ms', args['attempt-timeout-ms']);
const port = intFlag('port', args.port);
const { POSTGRES_URL } = loadConfig();

console.log(`▶ simulation: ${simClients.join(', ')} clients × ${backoffStrategies.join(', ')}`);
const simulation: SimulationResult[] = [];
for (const clients of simClients) {
  for (const strategy of backoffStrategies) {
    simulation.push(
      simulateContention({ clients, backoff: { strategy, baseMs, capMs }, callMs: thinkMs, seed }),
    );
  }
}

const live: ContentionResult[] = [];
const table = `poc75_bench_${process.pid}`;
for (const clients of liveClients) {
  for (const strategy of backoffStrategies) {
    const r = await withProgress(`▶ live: ${clients} clients, ${strategy}`, () =>
      runContention({
        postgresUrl: POSTGRES_URL,
        table,
        clients,
        backoff: { strategy, baseMs, capMs },
        thinkMs,
        seed,
      }),
    );
    console.log(`  ${r.calls} calls, ${r.completionMs} ms`);
    live.push(r);
  }
}

const dependency = await startDependency({ port, capacityPerWindow: capacity });
const herd: HerdResult[] = [];
const herdNetwork: HerdResult[] = [];
const amplification: AmplificationResult[] = [];
try {
  for (const strategy of backoffStrategies) {
    const r = await withProgress(
      `▶ herd: ${herdClients} clients, ${outageMs} ms outage, ${strategy}`,
      () =>
        runHerd({
          dependency,
          clients: herdClients,
          outageMs,
          backoff: { strategy, baseMs, capMs },
          seed,
        }),
    );
    console.log(
      `  peak ${r.peakAfterRecovery}/100 ms after recovery, ${r.overloadedAfterRecovery} shed`,
    );
    herd.push(r);
  }
  for (const strategy of ['none', 'full'] as const) {
    const r = await withProgress(
      `▶ herd through a blackholed network: ${herdClients} clients, ${strategy}`,
      () =>
        runBlackholeHerd({
          dependency,
          proxyListen: '127.0.0.1:27503',
          clients: herdClients,
          outageMs,
          attemptTimeoutMs,
          backoff: { strategy, baseMs, capMs },
          seed,
        }),
    );
    console.log(
      `  peak ${r.peakAfterRecovery}/100 ms after recovery, ${r.overloadedAfterRecovery} shed`,
    );
    herdNetwork.push(r);
  }
  for (const withBudget of [false, true]) {
    amplification.push(
      await runAmplification({
        dependency,
        clients: herdClients,
        maxAttempts: 4,
        withBudget,
        backoff: { strategy: 'full', baseMs, capMs: Math.min(capMs, 50) },
        seed,
      }),
    );
  }
} finally {
  await dependency.stop();
}

const at = (clients: number, strategy: string) => ({
  simulation: simulation.find((r) => r.clients === clients && r.strategy === strategy),
  live: live.find((r) => r.clients === clients && r.strategy === strategy),
});
const maxLive = Math.max(...liveClients);
const result = {
  description:
    'backoff strategies: contention (simulated and live), thundering herd, amplification',
  settings: {
    baseMs,
    capMs,
    thinkMs,
    seed,
    herdClients,
    outageMs,
    capacityPer100Ms: capacity,
    networkAttemptTimeoutMs: attemptTimeoutMs,
  },
  targets: {
    fullVsNoneCallsAtMaxClients: {
      clients: maxLive,
      simulation: ratio(
        at(maxLive, 'full').simulation?.calls,
        at(maxLive, 'none').simulation?.calls,
      ),
      live: ratio(at(maxLive, 'full').live?.calls, at(maxLive, 'none').live?.calls),
      target: '≤ 0.5',
    },
    amplification: {
      plainRetries: amplification.find((a) => !a.budget)?.amplification,
      withBudget: amplification.find((a) => a.budget)?.amplification,
      target: 'with budget ≤ 1.2 vs ≈ 4 for 3 plain retries',
    },
  },
  simulation,
  live,
  herd: herd.map(({ windows, ...rest }) => ({ ...rest, windows })),
  herdNetwork,
  amplification,
};

function ratio(a: number | undefined, b: number | undefined) {
  return a === undefined || b === undefined ? null : Math.round((a / b) * 1000) / 1000;
}

const names: Record<string, string> = {
  none: 'no jitter',
  full: 'full jitter',
  equal: 'equal jitter',
  decorrelated: 'decorrelated',
};
const perStrategy = <R extends { clients: number; strategy: string }>(
  rows: R[],
  y: (r: R) => number,
) =>
  backoffStrategies.map((s) => ({
    name: names[s]!,
    points: rows.filter((r) => r.strategy === s).map((r) => [r.clients, y(r)] as [number, number]),
  }));
const contentionSvg = renderLineChart({
  title: `One contended row, base ${baseMs} ms, cap ${capMs} ms: calls until every client wrote once`,
  xLabel: 'clients',
  panels: [
    {
      title: 'Seeded simulation: total calls',
      yLabel: 'calls',
      series: perStrategy(simulation, (r) => r.calls),
    },
    {
      title: 'Live on Postgres: total calls',
      yLabel: 'calls',
      series: perStrategy(live, (r) => r.calls),
    },
    {
      title: 'Live on Postgres: time until the last write (log scale)',
      yLabel: 'ms',
      yLog: true,
      series: perStrategy(live, (r) => Math.max(1, r.completionMs)),
    },
  ],
});
const recoveryWindow = (r: HerdResult) =>
  r.windows
    .filter((w) => w.atMs >= r.recoveredAtMs - 1_000 && w.atMs < r.recoveredAtMs + 6_000)
    .map(
      (w) =>
        [Math.round(w.atMs - r.recoveredAtMs) / 1000, w.ok + w.down + w.overloaded] as [
          number,
          number,
        ],
    );
const herdSvg = renderLineChart({
  title: `${herdClients} clients retrying through a ${outageMs / 1000} s outage (capacity ${capacity} per 100 ms)`,
  xLabel: 'seconds since the dependency recovered',
  panels: [
    {
      title: 'Requests per 100 ms at the dependency around recovery',
      yLabel: 'requests / 100 ms',
      series: herd.map((r) => ({ name: names[r.strategy]!, points: recoveryWindow(r) })),
      markers: [{ x: 0, label: 'recovered' }],
    },
    {
      title: `Same, the network blackholed by toxiproxy (attempts time out after ${attemptTimeoutMs} ms)`,
      yLabel: 'requests / 100 ms',
      series: herdNetwork.map((r) => ({ name: names[r.strategy]!, points: recoveryWindow(r) })),
      markers: [{ x: 0, label: 'healed' }],
    },
  ],
});
await writeResult({
  pocDir: root,
  poc: 'poc-75',
  bench: 'backoff',
  script: 'bench',
  // Every knob spelled out, so the command re-runs this bench even if a default changes.
  argv: [
    ...['--base-ms', String(baseMs), '--cap-ms', String(capMs), '--think-ms', String(thinkMs)],
    ...['--sim-clients', simClients.join(','), '--live-clients', liveClients.join(',')],
    ...['--seed', String(seed), '--herd-clients', String(herdClients)],
    ...['--outage-ms', String(outageMs), '--capacity', String(capacity)],
    ...['--attempt-timeout-ms', String(attemptTimeoutMs), ...(args.write ? ['--write'] : [])],
  ],
  write: args.write,
  outDir: args.out,
  services: {
    postgres: await postgresVersion(POSTGRES_URL),
    toxiproxy: await toxiproxyVersion(serviceDefaults.TOXIPROXY_URL),
  },
  data: result,
  files: { 'contention.svg': contentionSvg, 'herd.svg': herdSvg },
});
console.log(JSON.stringify(result.targets));
