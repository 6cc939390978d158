/**
 * The break-it experiment (template: replace with the POC's failure).
 *
 * Hypothesis: with no fault, p99 stays under 50 ms at 16 connections; with BREAK_SLOW_MS
 * added to each request, p99 rises by at least that much.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { writeResult } from '@pocs/shared/results';
import { printTable } from '@pocs/shared/table';
import { measureLatency } from '../src/experiments/latency.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-__NN__ break [options]
  --slow-ms      latency injected into each request (default 100)
  --connections  concurrent connections (default 16)
  --duration     seconds per run (default 3)`,
  {
    'slow-ms': { type: 'string', default: '100' },
    connections: { type: 'string', default: '16' },
    duration: { type: 'string', default: '3' },
  },
);
const slowMs = intFlag('slow-ms', args['slow-ms']);
const common = {
  port: __PORT__ + 200,
  connections: intFlag('connections', args.connections),
  durationSec: intFlag('duration', args.duration),
};

console.log(
  `Steady state (hypothesis): p99 < 50 ms at ${common.connections} connections, no fault.`,
);
console.log('\n▶ baseline: no fault');
const baseline = await measureLatency(common);
console.log(`\n▶ break: +${slowMs} ms in every request (BREAK_SLOW_MS=${slowMs})`);
const broken = await measureLatency({ ...common, env: { BREAK_SLOW_MS: String(slowMs) } });
// Template: the fault is removed; a real POC applies its fix here, under the same fault.
console.log('\n▶ fix: the fault removed (a real POC: its fix, under the same fault)');
const fixed = await measureLatency(common);
printTable({ baseline, broken, fixed });
console.log(
  `p99 ${baseline.p99Ms} ms → ${broken.p99Ms} ms with the fault → ${fixed.p99Ms} ms with the fix.`,
);
console.log('Cleanup: the three service processes this break started have exited.');
await writeResult({
  pocDir: join(dirname(fileURLToPath(import.meta.url)), '..'),
  poc: 'poc-__NN__',
  bench: 'break',
  script: 'break',
  write: args.write,
  data: { slowMs, baseline, broken, fixed },
});
