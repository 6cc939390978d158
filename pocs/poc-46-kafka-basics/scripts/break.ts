/**
 * Stop the broker mid-stream and start it again, while orders flow into three instances
 * of the service that differ only in one setting each.
 *
 *   pnpm --filter poc-46 break [--down-ms 3000 --clients 2 --port 9147]
 *
 * Steady state (the hypothesis): when POST /orders answers 202 only after the broker
 * acknowledged (acks=-1, idempotent producer) and the consumer writes with
 * `insert … on conflict (order_id) do nothing` before it commits the offset, every order
 * answered 202 during a broker stop/start is in Postgres exactly once: 0 lost, 0 duplicated.
 * Answering 202 before the ack loses the orders whose send fails while the broker is down;
 * dropping the unique index lets a redelivered batch (a commit lost in the restart) or a
 * client retry of a 503'd order that landed after all write a second row.
 */

import { intFlag, parseCli } from '@pocs/shared/cli';
import { printTable } from '@pocs/shared/table';
import {
  ACK_BEFORE_SEND,
  FIXED,
  NO_UNIQUE,
  runOutageExperiment,
  type Twin,
} from '../src/experiments/outage.ts';
import { BREAK_BROKER_PORT } from '../src/experiments/private-broker.ts';

const twinNames: Record<string, Twin> = {
  fixed: FIXED,
  'ack-before-send': ACK_BEFORE_SEND,
  'no-unique': NO_UNIQUE,
};
const args = parseCli(
  `usage: pnpm --filter poc-46 break [options]
  --twins               comma list of fixed, ack-before-send, no-unique (default all three)
  --port                port of the private broker this script starts and stops (default ${BREAK_BROKER_PORT};
                        never 9092-9094, the shared brokers)
  --clients             concurrent clients per instance (default 2; env BREAK_CLIENTS)
  --interval-ms         pause between one client's orders (default 20)
  --warmup-ms           traffic before the broker stops (default 3000)
  --down-ms             how long the broker stays down after it exited (default 3000; env BREAK_DOWN_MS)
  --after-ms            traffic after the broker is back (default 3000)
  --produce-timeout-ms  how long POST /orders waits for the broker ack before 503 (default 2000)
  --partitions          partitions of each instance's topic (default 6)`,
  {
    twins: { type: 'string', default: 'fixed,ack-before-send,no-unique' },
    port: { type: 'string', default: String(BREAK_BROKER_PORT) },
    clients: { type: 'string', default: process.env.BREAK_CLIENTS ?? '2' },
    'interval-ms': { type: 'string', default: '20' },
    'warmup-ms': { type: 'string', default: '3000' },
    'down-ms': { type: 'string', default: process.env.BREAK_DOWN_MS ?? '3000' },
    'after-ms': { type: 'string', default: '3000' },
    'produce-timeout-ms': { type: 'string', default: '2000' },
    partitions: { type: 'string', default: '6' },
  },
);
const twins = (args.twins ?? '').split(',').map((name) => {
  const twin = twinNames[name.trim()];
  if (!twin) {
    console.error(
      `--twins takes a comma list of ${Object.keys(twinNames).join(', ')}, got "${name}"`,
    );
    process.exit(2);
  }
  return twin;
});
const port = intFlag('port', args.port);
if ([9092, 9093, 9094].includes(port)) {
  console.error(
    `--port ${port} is a shared broker: this script stops its broker, so it needs its own`,
  );
  process.exit(2);
}

console.log(
  'Hypothesis: with 202 only after the broker ack (acks=-1) and an idempotent write keyed on ' +
    'order_id, every order answered 202 while the broker stops and starts again is in ' +
    'Postgres exactly once: 0 lost, 0 duplicated.\n',
);
const r = await runOutageExperiment({
  port,
  stateName: 'poc-46-break',
  twins,
  clients: intFlag('clients', args.clients),
  orderIntervalMs: intFlag('interval-ms', args['interval-ms'], 0),
  warmupMs: intFlag('warmup-ms', args['warmup-ms'], 0),
  downMs: intFlag('down-ms', args['down-ms'], 0),
  afterMs: intFlag('after-ms', args['after-ms'], 0),
  produceTimeoutMs: intFlag('produce-timeout-ms', args['produce-timeout-ms']),
  clientRetryMs: 250,
  partitions: intFlag('partitions', args.partitions),
  log: (line) => console.log(`  ${line}`),
});

console.log(
  `\nInjected: broker ${r.brokers} stopped (SIGTERM) at t=${r.downFromMs} ms, exited after ` +
    `${r.stopMs} ms, started again and answering at t=${r.downToMs} ms (start took ${r.startMs} ms).\n`,
);
console.log('What moved:');
// One column per twin (short names, as --twins takes them) keeps the table within 100 columns.
const shortName = (t: { label: string }) =>
  Object.entries(twinNames).find(([, twin]) => twin.label === t.label)?.[0] ?? t.label;
const metric = (pick: (t: (typeof r.twins)[number]) => number) =>
  Object.fromEntries(r.twins.map((t) => [shortName(t), pick(t)]));
printTable({
  '202 answers': metric((t) => t.acknowledged),
  '503 answers': metric((t) => t.rejected),
  'no 202 for (ms)': metric((t) => t.longestGapMs),
  'records on topic': metric((t) => t.records),
  'rows in Postgres': metric((t) => t.rows),
  'lost (202, no row)': metric((t) => t.missing),
  'duplicated (>1 row)': metric((t) => t.duplicated),
  'absorbed by unique index': metric((t) => t.duplicatesSuppressed),
});
const fixed = r.twins.find((t) => t.label === FIXED.label);
if (fixed) {
  const held = fixed.missing === 0 && fixed.duplicated === 0 && fixed.acknowledged > 0;
  console.log(
    held
      ? `Steady state held for "${FIXED.label}": ${fixed.acknowledged} orders acknowledged, each in Postgres exactly once.`
      : `Steady state did NOT hold for "${FIXED.label}": ${fixed.missing} lost, ${fixed.duplicated} duplicated.`,
  );
  process.exitCode = held ? 0 : 1;
}
for (const t of r.twins) {
  if (t.label === ACK_BEFORE_SEND.label) {
    console.log(
      `"${t.label}": ${t.missing} of ${t.acknowledged} acknowledged orders never reached Postgres ` +
        `(${t.unconfirmedFailed} sends failed after their 202).`,
    );
  }
  if (t.label === NO_UNIQUE.label) {
    console.log(
      `"${t.label}": ${t.duplicated} orders written more than once (${t.extraRows} extra rows; ` +
        `${t.lateAcks} 503'd sends landed later, the rest are batches redelivered after a failed commit).`,
    );
  }
}
if (fixed) {
  const ackFirst = r.twins.find((t) => t.label === ACK_BEFORE_SEND.label);
  const noUnique = r.twins.find((t) => t.label === NO_UNIQUE.label);
  console.log(
    'The fix: answer 202 only after the broker ack (acks=-1, idempotent producer), and write with ' +
      'insert … on conflict (order_id) do nothing before committing the offset: ' +
      `lost ${ackFirst ? `${ackFirst.missing} → ` : ''}${fixed.missing}, ` +
      `duplicated ${noUnique ? `${noUnique.duplicated} → ` : ''}${fixed.duplicated}` +
      ` (${fixed.duplicatesSuppressed} redelivered copies absorbed by the unique index).`,
  );
}
