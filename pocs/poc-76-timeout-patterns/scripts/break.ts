/**
 * Slow inventory down with toxiproxy, watch requests pile up at every hop above it, then
 * run the same schedule with the fix.
 *
 *   pnpm --filter poc-76 break [--mode both --rate 20 --latency-ms 10000]
 *
 * Steady state (the hypothesis): with timeouts, a propagated deadline, one retry at
 * orders and a circuit breaker, the gateway's p99 stays ≤ its 500 ms deadline + 10% through
 * 10 s of latency and a blackhole at inventory, and at most rate × 0.5 s requests are in
 * flight at the gateway (10 at 20/s). Prediction for the broken chain: in-flight grows by
 * `rate` every second the fault lasts (rate × 10 s = 200 at both gateway and orders).
 */

import { intFlag, parseCli } from '@pocs/shared/cli';
import { printTable } from '@pocs/shared/table';
import { loadConfig } from '../src/config.ts';
import { breakPorts, startChain } from '../src/experiments/chain.ts';
import { runFaultSchedule, type ScheduleResult } from '../src/experiments/schedule.ts';

const args = parseCli(
  `usage: pnpm --filter poc-76 break [options]
  --mode          broken | fixed | both (default both; env BREAK_MODE)
  --rate          gateway requests/s, open loop (default 20; env BREAK_RATE)
  --latency-ms    latency toxiproxy adds to inventory's answers (default 10000)
  --latency-sec   how long the latency lasts (default 10)
  --blackhole-sec how long inventory's answers are held back entirely (default 5)
  --give-up-ms    how long the load generator's users wait (default 15000)`,
  {
    mode: { type: 'string', default: process.env.BREAK_MODE ?? 'both' },
    rate: { type: 'string', default: process.env.BREAK_RATE ?? '20' },
    'latency-ms': { type: 'string', default: '10000' },
    'latency-sec': { type: 'string', default: '10' },
    'blackhole-sec': { type: 'string', default: '5' },
    'give-up-ms': { type: 'string', default: '15000' },
  },
);
if (!['broken', 'fixed', 'both'].includes(args.mode)) {
  console.error(`--mode must be broken, fixed or both, got "${args.mode}"`);
  process.exit(2);
}
const config = loadConfig();
const rate = intFlag('rate', args.rate);
const latencyMs = intFlag('latency-ms', args['latency-ms']);
const latencySec = intFlag('latency-sec', args['latency-sec']);
const limitMs = Math.round(config.GATEWAY_DEADLINE_MS * 1.1);
const inFlightBound = Math.ceil((rate * config.GATEWAY_DEADLINE_MS) / 1000);

console.log(
  `Hypothesis: with the fix, gateway p99 ≤ ${limitMs} ms (deadline ${config.GATEWAY_DEADLINE_MS} ms + 10%) ` +
    `and ≤ ${inFlightBound} requests in flight at the gateway (${rate}/s × ${config.GATEWAY_DEADLINE_MS} ms), ` +
    `whatever inventory does.\nPrediction without it: in-flight grows by ${rate} per second of fault, ` +
    `to ~${rate * Math.min(latencySec, latencyMs / 1000)} at gateway and orders.\n` +
    `Chain: gateway :${breakPorts.gateway} → orders :${breakPorts.orders} → toxiproxy :${breakPorts.inventoryProxy} → ` +
    `inventory :${breakPorts.inventory} → toxiproxy :${breakPorts.postgresProxy} → Postgres\n`,
);

const results: Partial<Record<'broken' | 'fixed', ScheduleResult>> = {};
for (const mode of ['broken', 'fixed'] as const) {
  if (args.mode !== 'both' && args.mode !== mode) continue;
  console.log(
    mode === 'broken'
      ? '▶ broken: BREAK_NO_TIMEOUTS=1 (fetch without a signal, no deadline, no breaker, 3 tries at gateway and orders)'
      : `▶ fixed: deadline ${config.GATEWAY_DEADLINE_MS} ms, orders ${config.ORDERS_TIMEOUT_MS} ms, ` +
          `${config.INVENTORY_TIMEOUT_MS} ms per try × ${1 + config.ORDERS_RETRIES} tries at orders, breaker`,
  );
  const chain = await startChain({
    ports: breakPorts,
    broken: mode === 'broken',
    postgresUrl: config.POSTGRES_URL,
    toxiproxyUrl: config.TOXIPROXY_URL,
    schema: `poc76_break_${mode}_${process.pid}`,
  });
  try {
    results[mode] = await runFaultSchedule(chain, {
      ratePerSec: rate,
      normalSec: 5,
      latencySec,
      blackholeSec: intFlag('blackhole-sec', args['blackhole-sec']),
      recoveredSec: 10,
      latencyMs,
      giveUpMs: intFlag('give-up-ms', args['give-up-ms']),
      sampleEveryMs: 1_000,
      print: (line) => console.log(line),
    });
  } finally {
    await chain.stop(); // services killed, proxies deleted, schema dropped
  }
  const r = results[mode]!;
  console.log('  in flight at gateway / orders, once a second:');
  console.log(`  ${r.samples.map((s) => `${s.gateway}/${s.orders}`).join(' ')}`);
  printTable(
    Object.fromEntries(
      r.phases.map((p) => [
        p.phase,
        {
          sent: p.sent,
          '200': p.ok,
          'failed fast': p.failedFast,
          'gave up': p.gaveUp,
          'p50 ms': p.p50Ms,
          'p99 ms': p.p99Ms,
          'max ms': p.maxMs,
        },
      ]),
    ),
  );
  console.log(
    `  max in flight: gateway ${r.maxInFlight.gateway}, orders ${r.maxInFlight.orders}; ` +
      `calls at inventory: ${r.inventoryCalls}; max gateway sockets: ${Math.max(...r.samples.map((s) => s.gatewaySockets))}\n`,
  );
}

const fixed = results.fixed;
if (fixed) {
  const faulty = fixed.phases.filter((p) => p.phase === 'latency' || p.phase === 'blackhole');
  const p99 = Math.max(...faulty.map((p) => p.p99Ms ?? 0));
  const held =
    p99 <= limitMs &&
    fixed.maxInFlight.gateway <= inFlightBound &&
    (fixed.phases.find((p) => p.phase === 'recovered')?.ok ?? 0) > 0;
  console.log(
    held
      ? `Steady state held with the fix: p99 ${p99} ms ≤ ${limitMs} ms, max in flight ${fixed.maxInFlight.gateway} ≤ ${inFlightBound}, answers 200 again after the fault.`
      : `Steady state did NOT hold with the fix: p99 ${p99} ms (limit ${limitMs}), max in flight ${fixed.maxInFlight.gateway} (bound ${inFlightBound}). Is the machine busy?`,
  );
  const broken = results.broken;
  const brokenP99 = broken
    ? Math.max(
        ...broken.phases
          .filter((p) => p.phase === 'latency' || p.phase === 'blackhole')
          .map((p) => p.p99Ms ?? 0),
      )
    : undefined;
  console.log(
    `The fix: a ${config.GATEWAY_DEADLINE_MS} ms deadline at the gateway spent hop by hop, a timeout on every call, ` +
      `${config.ORDERS_RETRIES} ${config.ORDERS_RETRIES === 1 ? 'retry' : 'retries'} at orders within the deadline, a circuit breaker in front of inventory ` +
      '(BREAK_NO_TIMEOUTS unset): ' +
      (broken
        ? `gateway p99 under the fault ${brokenP99} → ${p99} ms, max in flight ${broken.maxInFlight.gateway} → ${fixed.maxInFlight.gateway} (gateway), ` +
          `${broken.maxInFlight.orders} → ${fixed.maxInFlight.orders} (orders), calls at inventory ${broken.inventoryCalls} → ${fixed.inventoryCalls}.`
        : `gateway p99 under the fault ${p99} ms, max in flight ${fixed.maxInFlight.gateway}, calls at inventory ${fixed.inventoryCalls}.`),
  );
}
console.log(
  `Cleaned up: the gateway, orders and inventory processes this break started (:${breakPorts.gateway}, ` +
    `:${breakPorts.orders}, :${breakPorts.inventory}) are stopped, their toxiproxy proxies deleted and schemas dropped. ` +
    'Postgres and toxiproxy are still running (pnpm services down stops them).',
);
