/**
 * Run the leaking handler, the leaking handler with force-release, and the fix under the
 * same load, and record the pool second by second; then time withClient() against a
 * correct manual release.
 *
 *   pnpm --filter poc-72 bench [--rate 20 --error-rate 0.2 --duration 30]
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderLineChart } from '@pocs/shared/chart';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { withProgress } from '@pocs/shared/progress';
import { writeResult } from '@pocs/shared/results';
import { postgresVersion } from '@pocs/shared/service-versions';
import { loadConfig } from '../src/config.ts';
import { type LeakExperimentResult, runLeakExperiment } from '../src/experiments/leak.ts';
import { measureWithClientCost } from '../src/experiments/with-client-cost.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = parseResultsCli(
  `usage: pnpm --filter poc-72 bench [options]
  --rate               refunds/s, open loop, same for every run (default 20)
  --error-rate         share of refunds sent over balance, 0..1 (default 0.2)
  --duration           seconds of load per run (default 30)
  --pool               PG_POOL_MAX (default 10)
  --acquire-timeout-ms PG_ACQUIRE_TIMEOUT_MS (default 2000)
  --leak-threshold-ms  PG_LEAK_THRESHOLD_MS (default 2000)
  --port               port for the service under test (default 3472)
  --out                folder for leak.json and leak.svg (default: see --write)`,
  {
    rate: { type: 'string', default: '20' },
    'error-rate': { type: 'string', default: '0.2' },
    duration: { type: 'string', default: '30' },
    pool: { type: 'string', default: '10' },
    'acquire-timeout-ms': { type: 'string', default: '2000' },
    'leak-threshold-ms': { type: 'string', default: '2000' },
    port: { type: 'string', default: '3472' },
    out: { type: 'string' },
  },
);
const errorRate = Number(args['error-rate']);
if (!(errorRate >= 0 && errorRate <= 1)) {
  console.error(`--error-rate must be a share between 0 and 1, got "${args['error-rate']}"`);
  process.exit(2);
}
const settings = {
  ratePerSec: intFlag('rate', args.rate),
  errorRate,
  durationSec: intFlag('duration', args.duration),
  poolMax: intFlag('pool', args.pool),
  acquireTimeoutMs: intFlag('acquire-timeout-ms', args['acquire-timeout-ms']),
  leakThresholdMs: intFlag('leak-threshold-ms', args['leak-threshold-ms'], 0),
};
const { POSTGRES_URL: postgresUrl } = loadConfig();
const port = intFlag('port', args.port);

console.log(
  `poc-72 bench: bug, bug + force-release, fix; ${settings.ratePerSec} refunds/s × ${settings.durationSec} s each, ` +
    `${settings.errorRate * 100}% over balance, pool ${settings.poolMax}`,
);
const run = (variant: 'bug' | 'fix', forceReleaseLeaks = false) =>
  withProgress(`▶ ${variant}${forceReleaseLeaks ? ' + force-release' : ''}`, () =>
    runLeakExperiment({ ...settings, variant, forceReleaseLeaks, port, postgresUrl }),
  );
const bug = await run('bug');
const forced = await run('bug', true);
const fix = await run('fix');
const withClientCost = await withProgress('▶ withClient() vs manual try/finally release', () =>
  measureWithClientCost({ postgresUrl, poolMax: settings.poolMax }),
);

const totals = (r: LeakExperimentResult) => ({
  handler: r.handler,
  forceReleaseLeaks: r.forceReleaseLeaks,
  sent: r.load.sent,
  injected: r.load.injected,
  ok: r.load.ok,
  rejected409: r.load.rejected,
  unavailable503: r.load.unavailable,
  otherOrNoAnswer: r.load.other,
  okP50Ms: r.load.okP50Ms,
  unavailableP50Ms: r.load.unavailableP50Ms,
  leaked: r.leakedClients,
  leaksDetected: r.leaksDetected,
  timeouts: r.acquireTimeouts,
  idleAtEnd: r.idleAtEnd,
  totalAtEnd: r.totalAtEnd,
  timeToExhaustionMs: r.timeToExhaustionMs,
  firstLeak: r.firstLeak,
});
const series = (r: LeakExperimentResult) => ({
  pool: r.samples,
  responses: r.load.perSecond,
});
const summary = { bug: totals(bug), bugForceRelease: totals(forced), fix: totals(fix) };
const data = {
  description: 'connection leak: bug vs force-release vs fix',
  settings: {
    ...settings,
    load: 'open loop; every 5th refund (error rate 0.2) asks for more than the order balance → 409',
  },
  summary,
  withClientCost,
  series: { bug: series(bug), bugForceRelease: series(forced), fix: series(fix) },
};

const leased = (r: LeakExperimentResult) =>
  r.samples.map((s) => [s.second, s.leased] as [number, number]);
const perSecond = (r: LeakExperimentResult, k: 'ok' | 'unavailable') =>
  r.load.perSecond.map((s) => [s.second, s[k]] as [number, number]);
const chart = renderLineChart({
  title: `Leak on the error path: ${settings.ratePerSec} refunds/s, ${settings.errorRate * 100}% failing, pool ${settings.poolMax}`,
  xLabel: 'seconds since the load started',
  panels: [
    {
      title: 'Clients checked out',
      yLabel: `clients (pool max ${settings.poolMax})`,
      series: [
        { name: 'bug', points: leased(bug) },
        { name: 'bug + force-release', points: leased(forced) },
        { name: 'fix (withClient)', points: leased(fix) },
      ],
    },
    {
      title: 'Responses per second',
      yLabel: 'responses / s',
      series: [
        { name: 'bug: 201', points: perSecond(bug, 'ok') },
        { name: 'bug: 503', points: perSecond(bug, 'unavailable') },
        { name: 'fix: 201', points: perSecond(fix, 'ok') },
      ],
    },
  ],
});
await writeResult({
  pocDir: root,
  poc: 'poc-72',
  bench: 'leak',
  script: 'bench',
  // Every knob spelled out, so the command re-runs this bench even if a default changes.
  argv: [
    ...['--rate', String(settings.ratePerSec), '--error-rate', String(settings.errorRate)],
    ...['--duration', String(settings.durationSec), '--pool', String(settings.poolMax)],
    ...['--acquire-timeout-ms', String(settings.acquireTimeoutMs)],
    ...['--leak-threshold-ms', String(settings.leakThresholdMs)],
    ...(args.write ? ['--write'] : []),
  ],
  write: args.write,
  outDir: args.out,
  services: { postgres: await postgresVersion(postgresUrl) },
  data,
  files: { 'leak.svg': chart },
});
console.log(
  JSON.stringify({
    bug: { leaked: bug.leakedClients, timeouts: bug.acquireTimeouts, ok: bug.load.ok },
    forceRelease: { leaksDetected: forced.leaksDetected, timeouts: forced.acquireTimeouts },
    fix: { leaked: fix.leakedClients, timeouts: fix.acquireTimeouts, ok: fix.load.ok },
    withClientCost: { differenceUs: withClientCost.differenceUs },
  }),
);
