/**
 * Kill the stream processor mid-window (SIGKILL, a real child process), restart it, and
 * compare its final window counts with the reference results of the same input.
 *
 *   pnpm --filter poc-48 break [--events 6000 --kill-after 2000 --seed 48]
 *
 * Steady state (the hypothesis): with the changelog written in the same Kafka transaction
 * as the input offsets (exactly_once_v2), the windows emitted after a crash + restore equal
 * those of an uninterrupted run: 0 windows differ, 0 counts missing, 0 counts doubled.
 * Without the changelog the open windows lose their counts; with at_least_once the
 * changelog runs ahead of the committed offsets and the replay counts events twice.
 */

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBrokers } from '@pocs/kafka';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { writeResult } from '@pocs/shared/results';
import { localKafkaVersion } from '@pocs/shared/service-versions';
import { printTable } from '@pocs/shared/table';
import { loadConfig } from '../src/config.ts';
import { createExperiment, type RunResult } from '../src/experiments/crash-restore.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-48 break [options]
  --events         input events (default 6000; env BREAK_EVENTS)
  --kill-after     SIGKILL the processor after it processed this many events (default events/3)
  --keys           distinct keys (default 12)
  --partitions     input partitions (default 3)
  --seed           generator seed (default 48)
  --window-ms      tumbling window size, event time (default 10000)
  --grace-ms       grace period, event time (default 5000)
  --alos-commit-ms offset commit interval of the at_least_once run (default 3000; Kafka Streams: 30000)
  --port           port of the processor's HTTP server (default 3548)`,
  {
    events: { type: 'string', default: process.env.BREAK_EVENTS ?? '6000' },
    'kill-after': { type: 'string' },
    keys: { type: 'string', default: '12' },
    partitions: { type: 'string', default: '3' },
    seed: { type: 'string', default: '48' },
    'window-ms': { type: 'string', default: '10000' },
    'grace-ms': { type: 'string', default: '5000' },
    'alos-commit-ms': { type: 'string', default: '3000' },
    port: { type: 'string', default: '3548' },
  },
);
const events = intFlag('events', args.events, 10);
const killAfter = intFlag('kill-after', args['kill-after'] ?? String(Math.floor(events / 3)));
if (killAfter >= events) {
  console.error(`--kill-after must be below --events (${events}), got ${killAfter}`);
  process.exit(2);
}
const port = intFlag('port', args.port);
const config = loadConfig();

const experiment = await createExperiment({
  brokers: parseBrokers(config.KAFKA_BROKERS),
  partitions: intFlag('partitions', args.partitions),
  seed: intFlag('seed', args.seed, 0),
  events,
  keys: intFlag('keys', args.keys),
  windowSizeMs: intFlag('window-ms', args['window-ms']),
  graceMs: intFlag('grace-ms', args['grace-ms'], 0),
});
const ref = experiment.reference;
if (experiment.inputDuplicates !== 0) {
  console.log(
    `Note: the input topic holds ${experiment.inputDuplicates} more events than generated (producer retries); the reference counts them too.`,
  );
}
console.log(
  `Input: ${experiment.inputEvents} events on ${experiment.inputTopic} (seed ${args.seed}); ` +
    `the reference emits ${ref.results.size} windows holding ${ref.counted} counted events, ${ref.lateDropped} dropped as late.`,
);
console.log(
  `Hypothesis: with exactly_once_v2 (changelog + results + input offsets in one transaction), ` +
    `SIGKILL after ${killAfter} events and a restart end with 0 windows differing from an uninterrupted run.\n`,
);

const rows: Record<string, Record<string, number | string>> = {};
const runs: (RunResult & { label: string })[] = [];
const record = (label: string, r: RunResult) => {
  runs.push({ label, ...r });
  rows[label] = {
    killed: r.kill ? `after ${r.kill.processedBeforeKill}` : 'no',
    'offsets committed at kill': r.kill?.committedOffsetsAtKill ?? '-',
    'restored records': r.final.restore?.records ?? '-',
    'changelog ahead of offsets': r.final.restore
      ? Object.values(r.final.restore.changelogAheadOfOffsets).reduce((a, b) => a + b, 0)
      : '-',
    'windows emitted': r.windowsEmitted,
    'late dropped': r.final.lateDropped,
    'windows differing': r.diff.windowsDiffering,
    'missing counts': r.diff.missingCounts,
    'doubled counts': r.diff.extraCounts,
  };
  console.log(
    `  ${label}: ${r.diff.windowsDiffering} windows differ (${r.diff.missingCounts} counts missing, ${r.diff.extraCounts} extra)`,
  );
};

let held = false;
let clusterBrokers = 0;
try {
  clusterBrokers = await experiment.clusterBrokers();
  const common = { port, killAfterEvents: killAfter };
  console.log('▶ uninterrupted run (exactly_once_v2)');
  record(
    'uninterrupted',
    await experiment.run({ name: 'clean', guarantee: 'exactly_once_v2', port }),
  );
  console.log(
    `▶ BREAK_NO_CHANGELOG=1: SIGKILL after ${killAfter} events, restart with empty state`,
  );
  record(
    'kill / no changelog',
    await experiment.run({
      ...common,
      name: 'memory',
      guarantee: 'at_least_once',
      noChangelog: true,
    }),
  );
  const alosCommitMs = intFlag('alos-commit-ms', args['alos-commit-ms']);
  console.log(
    `▶ at_least_once (offsets committed every ${alosCommitMs} ms): SIGKILL, restore, replay`,
  );
  record(
    'kill / at_least_once',
    await experiment.run({
      ...common,
      name: 'alos',
      guarantee: 'at_least_once',
      commitIntervalMs: alosCommitMs,
    }),
  );
  console.log(`▶ exactly_once_v2: SIGKILL after ${killAfter} events, restore, resume`);
  const fixed = await experiment.run({ ...common, name: 'eos', guarantee: 'exactly_once_v2' });
  record('kill / exactly_once_v2', fixed);
  held =
    fixed.diff.windowsDiffering === 0 &&
    fixed.windowsEmitted === ref.results.size &&
    fixed.kill !== null;
} finally {
  await experiment.cleanup();
}

console.log('\nWhat moved:');
printTable(rows);
console.log(
  held
    ? 'Steady state held: after SIGKILL + restore, exactly_once_v2 emitted exactly the reference windows.'
    : 'Steady state did NOT hold: look at the exactly_once_v2 row.',
);
const eos = runs.find((r) => r.label === 'kill / exactly_once_v2');
if (eos) {
  const before = runs.filter(
    (r) => r.label === 'kill / no changelog' || r.label === 'kill / at_least_once',
  );
  const was = (pick: (r: RunResult) => number) =>
    before.length > 0 ? `${before.map(pick).join(' / ')} → ` : '';
  console.log(
    'The fix: PROCESSING_GUARANTEE=exactly_once_v2, the changelog, the results and the input offsets in one Kafka transaction, ' +
      `restored from the changelog on restart (${before.map((r) => r.label.replace('kill / ', '')).join(' / ') || 'fix only'} → exactly_once_v2): ` +
      `windows differing ${was((r) => r.diff.windowsDiffering)}${eos.diff.windowsDiffering}, ` +
      `counts missing ${was((r) => r.diff.missingCounts)}${eos.diff.missingCounts}, ` +
      `counts doubled ${was((r) => r.diff.extraCounts)}${eos.diff.extraCounts}.`,
  );
}
console.log('Cleaned up: processors stopped, consumer groups and run topics deleted.');
await writeResult({
  pocDir: join(dirname(fileURLToPath(import.meta.url)), '..'),
  poc: 'poc-48',
  bench: 'break',
  script: 'break',
  write: args.write,
  services: { kafka: localKafkaVersion() },
  data: {
    experiment: 'break',
    description:
      'SIGKILL the processor mid-stream, restart it, compare its final windows with the reference of the same seeded input',
    clusterBrokers,
    input: {
      events: experiment.inputEvents,
      seed: Number(args.seed),
      keys: Number(args.keys),
      partitions: Number(args.partitions),
      windowSizeMs: Number(args['window-ms']),
      graceMs: Number(args['grace-ms']),
    },
    killAfterEvents: killAfter,
    reference: {
      windows: ref.results.size,
      counted: ref.counted,
      lateDropped: ref.lateDropped,
    },
    steadyStateHeld: held,
    runs,
  },
});
process.exitCode = held ? 0 : 1;
