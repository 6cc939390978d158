/**
 * Live lag view: a terminal table of consumer-group lag from the exporter, refreshed
 * every second, with how fast each partition's lag moves.
 *
 *   pnpm --filter poc-50 start            # the exporter, port 3050
 *   pnpm --filter poc-50 lag-view [-- --group <id>] [-- --once]
 */

import { intFlag, parseCli } from '@pocs/shared/cli';
import { printTable } from '@pocs/shared/table';
import { sleep } from '@pocs/shared/wait';
import type { GroupLag } from '../src/lag.ts';

const args = parseCli(
  `usage: pnpm --filter poc-50 lag-view [-- options]
  --url URL        the lag exporter (default http://127.0.0.1:3050)
  --group ID       one consumer group (default: every group the exporter exports)
  --interval-ms N  refresh period (default 1000)
  --once           print one table and exit`,
  {
    url: { type: 'string', default: 'http://127.0.0.1:3050' },
    group: { type: 'string' },
    'interval-ms': { type: 'string', default: '1000' },
    once: { type: 'boolean', default: false },
  },
);
const intervalMs = intFlag('interval-ms', args['interval-ms']);

async function fetchLag(): Promise<GroupLag[]> {
  const url = `${args.url}/lag${args.group ? `?group=${encodeURIComponent(args.group)}` : ''}`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as GroupLag | { groups: GroupLag[] };
  return 'groups' in body ? body.groups : [body];
}

/** Rows of the table; Δ/s compares with the previous refresh (positive = falling behind). */
function lagTable(groups: GroupLag[], previous: Map<string, number>, seconds: number) {
  return groups.flatMap((g) =>
    g.partitions.map((p) => {
      const key = `${g.group}/${p.topic}/${p.partition}`;
      const before = previous.get(key);
      previous.set(key, p.lagMessages);
      return {
        group: g.group,
        topic: p.topic,
        partition: p.partition,
        committed: p.committedOffset ?? '-',
        end: p.endOffset,
        lag: p.lagMessages,
        'Δlag/s': before === undefined ? '' : Math.round((p.lagMessages - before) / seconds),
      };
    }),
  );
}

const previous = new Map<string, number>();
let last = Date.now();
for (;;) {
  try {
    const groups = await fetchLag();
    const now = Date.now();
    const rows = lagTable(groups, previous, (now - last) / 1000);
    last = now;
    if (process.stdout.isTTY && !args.once) process.stdout.write('\x1b[2J\x1b[H');
    const total = groups.reduce((s, g) => s + g.totalLagMessages, 0);
    console.log(
      `${new Date().toISOString()}  ${groups.length} group(s), total lag ${total} messages`,
    );
    if (rows.length > 0) printTable(rows);
  } catch (err) {
    console.error(`lag fetch failed: ${(err as Error).message}`);
    if (args.once) process.exit(1);
  }
  if (args.once) break;
  await sleep(intervalMs);
}
