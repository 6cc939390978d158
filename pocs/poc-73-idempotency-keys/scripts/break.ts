import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { serviceDefaults } from '@pocs/shared/config';
import { writeResult } from '@pocs/shared/results';
import { postgresVersion, toxiproxyVersion } from '@pocs/shared/service-versions';
import { printTable } from '@pocs/shared/table';
import {
  type PaymentsExperimentResult,
  pocRoot,
  runPaymentsExperiment,
} from '../src/experiments/payments.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-73 break [options]
  --payments     logical payments per run (default 10000, env PAYMENTS)
  --concurrency  payments in flight at once (default 64)
  --slow-pct     % of provider calls answered after the API's timeout (default 15)
  --reset-pct    % of provider connections reset (default 10)
  --timeout-ms   the API's provider-call timeout (default 250)
  --mode         both | with-keys | without-keys (default both)
  results: headline.json`,
  {
    payments: { type: 'string', default: process.env.PAYMENTS ?? '10000' },
    concurrency: { type: 'string', default: '64' },
    'slow-pct': { type: 'string', default: '15' },
    'reset-pct': { type: 'string', default: '10' },
    'timeout-ms': { type: 'string', default: '250' },
    mode: { type: 'string', default: 'both' },
  },
);
const mode = args.mode;
if (!['both', 'with-keys', 'without-keys'].includes(mode)) {
  console.error(`--mode must be both, with-keys or without-keys, got "${mode}"`);
  process.exit(2);
}
const common = {
  payments: intFlag('payments', args.payments),
  concurrency: intFlag('concurrency', args.concurrency),
  slowShare: intFlag('slow-pct', args['slow-pct'], 0) / 100,
  resetShare: intFlag('reset-pct', args['reset-pct'], 0) / 100,
  providerTimeoutMs: intFlag('timeout-ms', args['timeout-ms']),
  apiPort: 3473,
  providerPort: 3483,
  proxyListen: '127.0.0.1:27301',
  postgresUrl: process.env.POSTGRES_URL ?? serviceDefaults.POSTGRES_URL,
  print: (line: string) => console.log(`  ${line}`),
};

console.log(
  `Hypothesis: with idempotency keys, ${common.payments} payments under ≥ 20% injected faults charge 0 customers twice and the ledgers reconcile; without keys, double charges > 0.`,
);
const runs: PaymentsExperimentResult[] = [];
for (const withKeys of [false, true]) {
  if (mode === 'with-keys' && !withKeys) continue;
  if (mode === 'without-keys' && withKeys) continue;
  console.log(`\n${withKeys ? 'WITH keys (the fix)' : 'WITHOUT keys (BREAK_NO_IDEMPOTENCY=1)'}:`);
  const r = await runPaymentsExperiment({ ...common, withKeys });
  runs.push(r);
  console.log(
    `  ${r.payments} payments, ${r.attempts} attempts, ${r.faultedAttempts} faulted (${(r.faultShare * 100).toFixed(1)}%), ${r.conflicts409} × 409, ${r.gaveUp} gave up, ${(r.durationMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `  provider charges ${r.ledgers.providerCharges} for ${r.ledgers.ordersCharged} orders → DOUBLE CHARGES: ${r.ledgers.doubleCharges}; ledgers reconcile: ${r.ledgers.reconciled} (unrecorded charges ${r.ledgers.unrecordedCharges}, phantom payments ${r.ledgers.phantomPayments})`,
  );
}
printTable(
  Object.fromEntries(
    runs.map((r) => [
      r.mode,
      {
        faultShare: r.faultShare,
        doubleCharges: r.ledgers.doubleCharges,
        reconciled: r.ledgers.reconciled,
        gaveUp: r.gaveUp,
      },
    ]),
  ),
);
await writeResult({
  pocDir: pocRoot,
  poc: 'poc-73',
  bench: 'headline',
  script: 'break',
  write: args.write,
  services: {
    postgres: await postgresVersion(process.env.POSTGRES_URL ?? serviceDefaults.POSTGRES_URL),
    toxiproxy: await toxiproxyVersion(process.env.TOXIPROXY_URL ?? serviceDefaults.TOXIPROXY_URL),
  },
  data: { runs },
});
const without = runs.find((r) => r.mode === 'without-keys');
const withKeys = runs.find((r) => r.mode === 'with-keys');
if (withKeys) {
  console.log(
    'The fix: every payment carries an Idempotency-Key that the API stores with its answer and passes to the provider, ' +
      'so a retried attempt replays the first answer instead of charging again: ' +
      (without
        ? `double charges ${without.ledgers.doubleCharges} → ${withKeys.ledgers.doubleCharges}, ledgers reconcile ${without.ledgers.reconciled} → ${withKeys.ledgers.reconciled}.`
        : `${withKeys.ledgers.doubleCharges} double charges, ledgers reconcile: ${withKeys.ledgers.reconciled}.`),
  );
}
console.log(
  `Cleaned up: the API (:${common.apiPort}) and provider (:${common.providerPort}) processes this break started are stopped, ` +
    'its toxiproxy proxy deleted and its schemas dropped. Postgres and toxiproxy are still running (pnpm services down stops them).',
);
