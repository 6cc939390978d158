/**
 * Bench (template): latency and throughput at rising concurrency.
 *   pnpm --filter poc-__NN__ bench
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderLineChart } from '@pocs/shared/chart';
import { measureLatency } from '../scripts/latency-run.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
const rows = [];
for (const connections of [1, 8, 32]) {
  const row = await measureLatency({ port: __PORT__ + 100, connections, durationSec: 2 });
  rows.push(row);
  console.log(`${connections} connections: ${Math.round(row.rps)} req/s, p99 ${row.p99Ms} ms`);
}
await mkdir(out, { recursive: true });
await writeFile(
  join(out, 'latency.json'),
  `${JSON.stringify({ poc: 'poc-__NN__', command: 'pnpm --filter poc-__NN__ bench', recordedAt: new Date().toISOString(), rows }, null, 2)}\n`,
);
await writeFile(
  join(out, 'latency.svg'),
  renderLineChart({
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
);
console.log(`wrote ${join(out, 'latency.json')} and latency.svg`);
