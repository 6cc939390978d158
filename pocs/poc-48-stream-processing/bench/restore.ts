/**
 * Restore time vs changelog size, compacted vs not.
 *
 *   pnpm --filter poc-48 bench [--updates 2000,10000,50000,100000,300000 --windows 1000 --rounds 3]
 *
 * For each size, the same stream of changelog updates (each an update of one of
 * `--windows` live windows, the state a processor would hold) goes to two changelog
 * topics: cleanup.policy=delete (every update kept) and cleanup.policy=compact with
 * cleaner settings that compact within seconds. Once the broker's log cleaner has
 * compacted, the real service is started as a child process on each changelog, and the
 * restore duration it reports (GET /stats) is recorded: median of `--rounds` starts.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka, parseBrokers } from '@pocs/kafka';
import { renderLineChart } from '@pocs/shared/chart';
import { startChildService } from '@pocs/shared/child-service';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { writeResult } from '@pocs/shared/results';
import { localKafkaVersion } from '@pocs/shared/service-versions';
import { median as exactMedian } from '@pocs/shared/stats';
import { sleep, waitFor } from '@pocs/shared/wait';
import { windowRecord } from '../src/changelog.ts';
import { loadConfig } from '../src/config.ts';
import { deleteTopics, ensureTopics } from '../src/kafka.ts';
import type { ProcessorStats } from '../src/processor.ts';
import { readToEnd } from '../src/read-to-end.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = parseResultsCli(
  `usage: pnpm --filter poc-48 bench [options]
  --updates     comma-separated changelog sizes, in updates (default 2000,10000,50000,100000,300000)
  --windows     live windows the updates are spread over (default 1000)
  --rounds      service starts per point; the median is reported (default 3)
  --partitions  changelog partitions (default 3)
  --port        port of the service under test (default 3448)`,
  {
    updates: { type: 'string', default: '2000,10000,50000,100000,300000' },
    windows: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    partitions: { type: 'string', default: '3' },
    port: { type: 'string', default: '3448' },
  },
);
const sizes = args.updates.split(',').map((s) => intFlag('updates', s.trim()));
const liveWindows = intFlag('windows', args.windows);
const rounds = intFlag('rounds', args.rounds);
const partitions = intFlag('partitions', args.partitions);
const port = intFlag('port', args.port);
const brokers = parseBrokers(loadConfig().KAFKA_BROKERS);
const kafka = createKafka({ brokers, clientId: 'poc-48-bench' });
const admin = kafka.admin();
await admin.connect();
const clusterBrokers = (await admin.describeCluster()).brokers.length;

const id = `${process.pid}-${Date.now().toString(36)}`;
const policies = {
  delete: { 'cleanup.policy': 'delete' },
  // Compact within seconds instead of hours: roll segments after 1 s, clean at any dirt.
  compact: {
    'cleanup.policy': 'compact',
    'segment.ms': '1000',
    'min.cleanable.dirty.ratio': '0.01',
    'min.compaction.lag.ms': '0',
    'delete.retention.ms': '1000',
  },
} as const;
type Policy = keyof typeof policies;
const topicOf = (policy: Policy, updates: number) => `poc48.bench.${id}.${policy}.${updates}`;
const created: string[] = [];
const groups: string[] = [];

// Whole ms: rounding keeps the median of an even number of rounds whole.
const median = (xs: number[]) => Math.round(exactMedian(xs));

/** What a processor's changelog looks like after `updates` state changes over `liveWindows`. */
async function writeChangelog(topic: string, updates: number) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const counts = new Map<number, number>();
    for (let i = 0; i < updates; i += 5_000) {
      const messages = [];
      for (let j = i; j < Math.min(updates, i + 5_000); j++) {
        const w = j % liveWindows;
        const count = (counts.get(w) ?? 0) + 1;
        counts.set(w, count);
        const record = windowRecord(`key-${w}|1700000000000`, {
          key: `key-${w}`,
          windowStart: 1_700_000_000_000,
          count,
          lastOffset: String(j),
        });
        messages.push({ key: record.key, value: record.value, partition: w % partitions });
      }
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

const countRecords = async (topic: string) =>
  (
    await readToEnd({
      kafka,
      admin,
      topic,
      groupPrefix: `poc48-bench-${id}`,
      onMessage: () => {},
    })
  ).records;

interface Point {
  policy: Policy;
  updates: number;
  /** Records a restore read: every update (delete) or about one per live window (compact). */
  recordsRestored: number;
  compacted: boolean;
  restoreMs: number[];
  medianRestoreMs: number;
}
const points: Point[] = [];
const inputTopic = `poc48.bench.${id}.events`;
const outputTopic = `poc48.bench.${id}.output`;

try {
  created.push(inputTopic, outputTopic);
  await ensureTopics(admin, [
    { topic: inputTopic, partitions },
    { topic: outputTopic, partitions },
  ]);
  for (const updates of sizes) {
    for (const policy of Object.keys(policies) as Policy[]) {
      const topic = topicOf(policy, updates);
      created.push(topic);
      await ensureTopics(admin, [{ topic, partitions, configs: policies[policy] }]);
      await writeChangelog(topic, updates);
      console.log(`wrote ${updates} updates to ${topic}`);
    }
  }
  // The active segment is never cleaned: wait for it to be old enough to roll, then
  // append one record per partition so the dirty segments become cleanable.
  await sleep(1_500);
  for (const updates of sizes) await writeChangelog(topicOf('compact', updates), partitions);
  const compacted = new Map<number, boolean>();
  for (const updates of sizes) {
    const topic = topicOf('compact', updates);
    const target = liveWindows + partitions * 2;
    const ok = await waitFor(async () => (await countRecords(topic)) <= Math.max(target, 0), {
      timeoutMs: 90_000,
      intervalMs: 2_000,
      description: `the log cleaner to compact ${topic}`,
    }).then(
      () => true,
      () => false,
    );
    compacted.set(updates, ok || updates <= liveWindows);
    console.log(`${topic}: ${ok ? 'compacted' : 'NOT compacted within 90 s'}`);
  }

  for (const updates of sizes) {
    for (const policy of Object.keys(policies) as Policy[]) {
      const restoreMs: number[] = [];
      let recordsRestored = 0;
      for (let round = 0; round < rounds; round++) {
        const applicationId = `poc48-bench-${id}-${policy}-${updates}-${round}`;
        groups.push(applicationId);
        const service = await startChildService({
          entry: 'src/server.ts',
          cwd: root,
          port,
          env: {
            KAFKA_BROKERS: brokers.join(','),
            INPUT_TOPIC: inputTopic,
            OUTPUT_TOPIC: outputTopic,
            CHANGELOG_TOPIC: topicOf(policy, updates),
            APPLICATION_ID: applicationId,
            TOPIC_PARTITIONS: String(partitions),
            LOG_LEVEL: 'error',
          },
          startTimeoutMs: 120_000,
        });
        try {
          const stats = (await (await fetch(`${service.url}/stats`)).json()) as ProcessorStats;
          restoreMs.push(stats.restore?.durationMs ?? Number.NaN);
          recordsRestored = stats.restore?.records ?? 0;
        } finally {
          await service.stop();
        }
      }
      const point: Point = {
        policy,
        updates,
        recordsRestored,
        compacted: policy === 'compact' ? (compacted.get(updates) ?? false) : false,
        restoreMs,
        medianRestoreMs: median(restoreMs),
      };
      points.push(point);
      console.log(
        `${policy.padEnd(7)} ${String(updates).padStart(7)} updates → ${recordsRestored} records restored, median ${point.medianRestoreMs} ms (${restoreMs.join(', ')})`,
      );
    }
  }
} finally {
  await admin.deleteGroups(groups).catch(() => {});
  await deleteTopics(admin, created).catch(() => {});
  await admin.disconnect();
}

const series = (policy: Policy, y: (p: Point) => number) => ({
  name: `cleanup.policy=${policy}`,
  points: points
    .filter((p) => p.policy === policy)
    .map((p) => [p.updates, y(p)] as [number, number]),
});
const chart = renderLineChart({
  title: `State restore from the changelog: ${liveWindows} live windows, median of ${rounds} starts`,
  xLabel: 'changelog updates written',
  xLog: true,
  panels: [
    {
      title: 'restore duration',
      yLabel: 'ms',
      series: [
        series('delete', (p) => p.medianRestoreMs),
        series('compact', (p) => p.medianRestoreMs),
      ],
    },
    {
      title: 'records read on restore',
      yLabel: 'records',
      series: [
        series('delete', (p) => p.recordsRestored),
        series('compact', (p) => p.recordsRestored),
      ],
    },
  ],
});
await writeResult({
  pocDir: root,
  poc: 'poc-48',
  bench: 'restore',
  script: 'bench',
  write: args.write,
  services: { kafka: localKafkaVersion() },
  data: {
    description:
      'Restore duration of the real service (GET /stats restore.durationMs, median of rounds) vs changelog size, compacted vs not',
    clusterBrokers,
    partitions,
    liveWindows,
    rounds,
    points,
  },
  files: { 'restore.svg': chart },
});
