/**
 * Bench (template): latency and throughput at rising concurrency.
 *   pnpm --filter poc-__NN__ bench               # → results/local/ (git-ignored)
 *   pnpm --filter poc-__NN__ bench -- --write    # → results/, the committed numbers
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderLineChart } from '@pocs/shared/chart';
import { parseResultsCli } from '@pocs/shared/cli';
import { writeResult } from '@pocs/shared/results';
import { measureLatency } from '../src/experiments/latency.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-__NN__ bench [options]
  p99 latency and req/s at 1, 8 and 32 connections, 2 s each`,
  {},
);

const rows = [];
for (const connections of [1, 8, 32]) {
  const row = await measureLatency({ port: __PORT__ + 100, connections, durationSec: 2 });
  rows.push(row);
  console.log(`${connections} connections: ${Math.round(row.rps)} req/s, p99 ${row.p99Ms} ms`);
}
await writeResult({
  pocDir: join(dirname(fileURLToPath(import.meta.url)), '..'),
  poc: 'poc-__NN__',
  bench: 'latency',
  script: 'bench',
  write: args.write,
  data: { rows },
  files: {
    'latency.svg': renderLineChart({
      title: 'Latency by concurrency',
      xLabel: 'connections',
      xLog: true,
      panels: [
        {
          title: 'p99',
          yLabel: 'ms',
          series: [{ name: 'p99', points: rows.map((r) => [r.connections, r.p99Ms]) }],
        },
      ],
    }),
  },
});
