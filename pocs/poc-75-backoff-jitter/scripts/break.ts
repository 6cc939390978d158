/**
 * Take the dependency down while 200 clients retry, and watch what the retry strategy
 * does to it when it comes back; then keep it down and count the load retries add.
 *
 *   pnpm --filter poc-75 break [--clients 200 --outage-ms 10000 --capacity 40 --fault http|network]
 *
 * Steady state (the hypothesis): with full jitter, 200 clients recover from a 10 s outage
 * with 0 requests shed by the dependency (capacity 40 per 100 ms) and the busiest 100 ms
 * after recovery stays ≤ 40 requests. Without jitter the clients retry in lockstep, every
 * 2 s all at once: the first burst after recovery is > 40 and requests are shed.
 * With 3 retries at 100% failure, plain retries send 4× the load; a retry budget ≤ 1.2×.
 */

import { type BackoffStrategy, backoffStrategies } from '@pocs/shared/backoff';
import { intFlag, parseCli } from '@pocs/shared/cli';
import { printTable } from '@pocs/shared/table';
import {
  type HerdResult,
  runAmplification,
  runBlackholeHerd,
  runHerd,
  startDependency,
} from '../src/experiments/herd.ts';

const args = parseCli(
  `usage: pnpm --filter poc-75 break [options]
  --fault       http: the dependency answers 503 during the outage; network: toxiproxy
                blackholes the connection and attempts time out (default http; env BREAK_FAULT)
  --attempt-timeout-ms  per-attempt timeout for --fault network, ms (default 250)
  --strategies  comma-separated: none, full, equal, decorrelated (default none,full; env BREAK_STRATEGIES)
  --clients     clients retrying at once (default 200; env BREAK_CLIENTS)
  --outage-ms   how long the dependency is down, ms (default 10000; env BREAK_OUTAGE_MS)
  --capacity    requests the dependency serves per 100 ms window (default 40)
  --base-ms     backoff base, ms (default 5)
  --cap-ms      backoff cap, ms (default 2000)
  --retries     retries per request in the amplification run (default 3)
  --seed        seed for the clients' jitter (default 1)
  --port        port for the dependency (default 3575)`,
  {
    fault: { type: 'string', default: process.env.BREAK_FAULT ?? 'http' },
    'attempt-timeout-ms': { type: 'string', default: '250' },
    strategies: { type: 'string', default: process.env.BREAK_STRATEGIES ?? 'none,full' },
    clients: { type: 'string', default: process.env.BREAK_CLIENTS ?? '200' },
    'outage-ms': { type: 'string', default: process.env.BREAK_OUTAGE_MS ?? '10000' },
    capacity: { type: 'string', default: '40' },
    'base-ms': { type: 'string', default: '5' },
    'cap-ms': { type: 'string', default: '2000' },
    retries: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    port: { type: 'string', default: '3575' },
  },
);
const strategies = args.strategies.split(',').map((s) => s.trim());
const unknown = strategies.filter((s) => !backoffStrategies.includes(s as BackoffStrategy));
if (unknown.length > 0 || strategies.length === 0) {
  console.error(`--strategies takes ${backoffStrategies.join(', ')}; got "${args.strategies}"`);
  process.exit(2);
}
if (args.fault !== 'http' && args.fault !== 'network') {
  console.error(`--fault must be http or network, got "${args.fault}"`);
  process.exit(2);
}
const attemptTimeoutMs = intFlag('attempt-timeout-ms', args['attempt-timeout-ms']);
const clients = intFlag('clients', args.clients);
const outageMs = intFlag('outage-ms', args['outage-ms']);
const capacity = intFlag('capacity', args.capacity);
const baseMs = intFlag('base-ms', args['base-ms']);
const capMs = intFlag('cap-ms', args['cap-ms']);
const retries = intFlag('retries', args.retries, 0);
const seed = intFlag('seed', args.seed, 0);
const port = intFlag('port', args.port);

console.log(
  `Hypothesis: with full jitter, ${clients} clients recover from a ${outageMs / 1000} s outage with 0 requests shed ` +
    `(capacity ${capacity} per 100 ms) and the busiest 100 ms after recovery stays ≤ ${capacity}.\n` +
    `Prediction without jitter: all ${clients} retry in lockstep (every ${capMs} ms once capped), so the first burst after ` +
    `recovery is > ${capacity} and the dependency sheds requests.\n` +
    `At 100% failure with ${retries} retries, plain retries send ${retries + 1}× the load; with a retry budget ` +
    `(0.1 token per success, 10 tokens) ≤ 1.2×.\n`,
);

const dependency = await startDependency({ port, capacityPerWindow: capacity });
const herds: HerdResult[] = [];
try {
  for (const strategy of strategies as BackoffStrategy[]) {
    const how = strategy === 'none' ? 'exponential backoff, no jitter' : `${strategy} jitter`;
    const backoff = { strategy, baseMs, capMs };
    let r: HerdResult;
    if (args.fault === 'http') {
      console.log(
        `▶ injected: dependency down for ${outageMs} ms (every GET /resource → 503); ${clients} clients retry with ${how} (base ${baseMs} ms, cap ${capMs} ms)`,
      );
      r = await runHerd({ dependency, clients, outageMs, backoff, seed });
    } else {
      console.log(
        `▶ injected: toxiproxy blackholes 127.0.0.1:27501 → dependency for ${outageMs} ms (timeout toxic, upstream); ` +
          `${clients} clients time out each attempt after ${attemptTimeoutMs} ms and retry with ${how} (base ${baseMs} ms, cap ${capMs} ms)`,
      );
      r = await runBlackholeHerd({
        dependency,
        proxyListen: '127.0.0.1:27501',
        clients,
        outageMs,
        attemptTimeoutMs,
        backoff,
        seed,
      });
    }
    herds.push(r);
    const at = r.windows.findIndex((w) => w.atMs + 100 > r.recoveredAtMs);
    const around = r.windows
      .slice(Math.max(0, at - 5), at + 25)
      .map((w) => `${w.ok + w.down + w.overloaded}${w.overloaded > 0 ? '!' : ''}`)
      .join(' ');
    console.log(`  requests per 100 ms from 0.5 s before recovery (! = some shed): ${around}\n`);
  }
  console.log('What moved (thundering herd):');
  printTable(
    Object.fromEntries(
      herds.map((r) => [
        r.strategy,
        {
          'requests sent': r.clients.attempts,
          'busiest 100 ms after recovery': r.peakAfterRecovery,
          'shed after recovery (503 overloaded)': r.overloadedAfterRecovery,
          'recovery → all done (ms)': r.recoveryToDoneMs,
          succeeded: r.clients.succeeded,
        },
      ]),
    ),
  );

  console.log(
    `\n▶ injected: dependency down for the whole run (every GET /resource → 503); ${clients} requests, ${retries} retries each`,
  );
  const amp = [];
  for (const withBudget of [false, true]) {
    amp.push(
      await runAmplification({
        dependency,
        clients,
        maxAttempts: retries + 1,
        withBudget,
        backoff: { strategy: 'full', baseMs, capMs: Math.min(capMs, 50) },
        seed,
      }),
    );
  }
  console.log('What moved (load amplification at 100% failure):');
  printTable(
    Object.fromEntries(
      amp.map((a) => [
        a.budget ? 'with retry budget' : 'plain retries',
        { 'requests at the dependency': a.calls, amplification: `${a.amplification}×` },
      ]),
    ),
  );

  const full = herds.find((r) => r.strategy === 'full');
  if (full) {
    const held = full.overloadedAfterRecovery === 0 && full.peakAfterRecovery <= capacity;
    console.log(
      held
        ? `Steady state held with full jitter: 0 shed, busiest 100 ms ${full.peakAfterRecovery} ≤ ${capacity}.`
        : 'Steady state did NOT hold with full jitter: is the machine busy, or the capacity below clients / cap?',
    );
  }
  const budgeted = amp.find((a) => a.budget)!;
  console.log(
    budgeted.amplification <= 1.2
      ? `Retry budget held amplification to ${budgeted.amplification}× (≤ 1.2×).`
      : `Retry budget let amplification reach ${budgeted.amplification}× (> 1.2×).`,
  );
  const none = herds.find((r) => r.strategy === 'none');
  const plain = amp.find((a) => !a.budget)!;
  console.log(
    'The fix: full jitter (sleep random(0, min(cap, base × 2^attempt))) and a retry budget (0.1 retry per success, burst 10): ' +
      (full
        ? `busiest 100 ms after recovery ${none ? `${none.peakAfterRecovery} → ` : ''}${full.peakAfterRecovery}, ` +
          `shed ${none ? `${none.overloadedAfterRecovery} → ` : ''}${full.overloadedAfterRecovery}; `
        : '') +
      `amplification at 100% failure ${plain.amplification}× → ${budgeted.amplification}×.`,
  );
} finally {
  await dependency.stop();
  console.log('Cleaned up: the dependency process is stopped, the toxiproxy proxy deleted.');
}
