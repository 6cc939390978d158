/**
 * Leak pool clients on an error path, watch the pool drain, read the leak report, apply the fix.
 *
 *   pnpm --filter poc-72 break [--rate 20 --error-rate 0.2 --duration 15]
 *
 * Steady state (the hypothesis): with the fix, 20 refunds/s of which 20% fail end with
 * 0 leaked clients, 0 acquire timeouts and idle == total. With the bug, every failure keeps
 * one client: the pool of 10 is empty after 10 / (20 × 0.2) = 2.5 s and every request
 * after that hangs for the 2 s acquire timeout, then gets a 503.
 */

import { intFlag, parseCli } from '@pocs/shared/cli';
import { printTable } from '@pocs/shared/table';
import { loadConfig } from '../src/config.ts';
import {
  type LeakExperimentResult,
  runLeakExperiment,
  type Variant,
} from '../src/experiments/leak.ts';

const args = parseCli(
  `usage: pnpm --filter poc-72 break [options]
  --mode               bug | fix | both (default both; env BREAK_MODE)
  --duration           seconds of load per run (default 15; env BREAK_DURATION_SEC)
  --rate               refunds/s sent, open loop (default 20; env BREAK_RATE)
  --error-rate         share of refunds sent over balance, 0..1 (default 0.2)
  --pool               PG_POOL_MAX (default 10)
  --acquire-timeout-ms PG_ACQUIRE_TIMEOUT_MS (default 2000)
  --leak-threshold-ms  PG_LEAK_THRESHOLD_MS (default 2000)
  --force-release      also run the bug with PG_DANGEROUSLY_FORCE_RELEASE_LEAKS=1
  --port               port for the service under test (default 3572)`,
  {
    mode: { type: 'string', default: process.env.BREAK_MODE ?? 'both' },
    duration: { type: 'string', default: process.env.BREAK_DURATION_SEC ?? '15' },
    rate: { type: 'string', default: process.env.BREAK_RATE ?? '20' },
    'error-rate': { type: 'string', default: '0.2' },
    pool: { type: 'string', default: '10' },
    'acquire-timeout-ms': { type: 'string', default: '2000' },
    'leak-threshold-ms': { type: 'string', default: '2000' },
    'force-release': { type: 'boolean', default: false },
    port: { type: 'string', default: '3572' },
  },
);
if (!['bug', 'fix', 'both'].includes(args.mode)) {
  console.error(`--mode must be bug, fix or both, got "${args.mode}"`);
  process.exit(2);
}
const errorRate = Number(args['error-rate']);
if (!(errorRate >= 0 && errorRate <= 1)) {
  console.error(`--error-rate must be a share between 0 and 1, got "${args['error-rate']}"`);
  process.exit(2);
}

const common = {
  postgresUrl: loadConfig().POSTGRES_URL,
  port: intFlag('port', args.port),
  ratePerSec: intFlag('rate', args.rate),
  durationSec: intFlag('duration', args.duration),
  errorRate,
  poolMax: intFlag('pool', args.pool),
  acquireTimeoutMs: intFlag('acquire-timeout-ms', args['acquire-timeout-ms']),
  leakThresholdMs: intFlag('leak-threshold-ms', args['leak-threshold-ms'], 0),
  print: (line: string) => console.log(line),
};
const failuresPerSec = common.ratePerSec * errorRate;
const predictedEmptySec = failuresPerSec > 0 ? common.poolMax / failuresPerSec : Infinity;

console.log(
  `Hypothesis: with the fix, ${common.ratePerSec} refunds/s with ${errorRate * 100}% failing end with 0 leaked clients, ` +
    `0 acquire timeouts and idle == total.\n` +
    `Prediction for the bug: ${failuresPerSec} failures/s each keep a client, so the pool of ${common.poolMax} is empty ` +
    `after ~${predictedEmptySec.toFixed(1)} s; then every request waits ${common.acquireTimeoutMs} ms and gets a 503.\n`,
);

const results: { label: string; r: LeakExperimentResult }[] = [];
const run = async (label: string, variant: Variant, forceReleaseLeaks = false) => {
  console.log(
    `▶ ${label}: ${variant === 'bug' ? 'BREAK_LEAK_ON_ERROR=1 (refundOrderLeaky)' : 'BREAK_LEAK_ON_ERROR=0 (refundOrder, withClient)'}` +
      `${forceReleaseLeaks ? ', PG_DANGEROUSLY_FORCE_RELEASE_LEAKS=1' : ''}; ` +
      `${common.ratePerSec} refunds/s for ${common.durationSec} s, every ${Math.round(1 / errorRate)}th over balance (409)`,
  );
  const r = await runLeakExperiment({ ...common, variant, forceReleaseLeaks });
  results.push({ label, r });
  if (r.firstLeak) {
    console.log(
      `\n  The leak detector's report (service log, warn): held ${r.firstLeak.heldMs} ms > ${r.firstLeak.thresholdMs} ms, acquired:`,
    );
    for (const frame of r.firstLeak.frames) console.log(`      ${frame}`);
    console.log(`  → open ${r.firstLeak.frames[0]?.match(/\((.*)\)/)?.[1] ?? 'the first frame'}\n`);
  } else {
    console.log('  No leak reported.\n');
  }
};

if (args.mode !== 'fix') await run('bug', 'bug');
if (args['force-release']) await run('bug + force-release', 'bug', true);
if (args.mode !== 'bug') await run('fix', 'fix');

const row = ({ r }: { r: LeakExperimentResult }) => ({
  'refunds sent': r.load.sent,
  '201 ok': r.load.ok,
  '409 (injected)': r.load.rejected,
  '503 busy': r.load.unavailable,
  '503 took (p50 ms)': r.load.unavailableP50Ms ?? '-',
  'leaked clients': r.leakedClients,
  'leaks detected': r.leaksDetected,
  'idle/total at end': `${r.idleAtEnd}/${r.totalAtEnd}`,
  'acquire timeouts': r.acquireTimeouts,
  'pool empty after s': r.timeToExhaustionMs === null ? '-' : r.timeToExhaustionMs / 1000,
});
console.log('What moved:');
printTable(Object.fromEntries(results.map((x) => [x.label, row(x)])));

const fix = results.find((x) => x.label === 'fix')?.r;
if (fix) {
  const held =
    fix.leakedClients === 0 &&
    fix.leaksDetected === 0 &&
    fix.acquireTimeouts === 0 &&
    fix.idleAtEnd === fix.totalAtEnd;
  console.log(
    held
      ? 'Steady state held with the fix: 0 leaked, 0 timeouts, idle == total.'
      : 'Steady state did NOT hold with the fix: is the machine busy, or the rate above what the pool can serve?',
  );
  const bug = results.find((x) => x.label === 'bug')?.r;
  console.log(
    'The fix: refundOrder takes its client through withClient(), which releases it in a finally on every path ' +
      '(BREAK_LEAK_ON_ERROR unset): ' +
      (bug
        ? `leaked clients ${bug.leakedClients} → ${fix.leakedClients}, acquire timeouts ${bug.acquireTimeouts} → ${fix.acquireTimeouts}, ` +
          `503s ${bug.load.unavailable} → ${fix.load.unavailable}, idle/total at end ${bug.idleAtEnd}/${bug.totalAtEnd} → ${fix.idleAtEnd}/${fix.totalAtEnd}.`
        : `${fix.leakedClients} leaked clients, ${fix.acquireTimeouts} acquire timeouts, idle/total at end ${fix.idleAtEnd}/${fix.totalAtEnd}.`),
  );
}
console.log(
  `Cleaned up: the service processes this break started on :${common.port} are stopped and their schemas dropped. ` +
    'Postgres is still running (pnpm services down stops it).',
);
