/**
 * What exactly-once costs: copy throughput of the transactional copier vs the at-least-once
 * copier, by messages per commit (one transaction, or one offset commit, per N messages).
 *
 *   pnpm --filter poc-49 bench [--messages 3000] [--rounds 3] [--sizes 10,50,250,1000]
 *
 * Each point: fresh topics (3 partitions), seed, copy in this process, time from "group
 * joined" until every message is written and its offset committed; median of the rounds.
 * Writes results/throughput.json and results/throughput.svg.
 */

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createKafka } from '@pocs/kafka';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { resultsDir, writeResult } from '@pocs/shared/results';
import { localKafkaVersion } from '@pocs/shared/service-versions';
import { median } from '@pocs/shared/stats';
import { printTable } from '@pocs/shared/table';
import { waitFor } from '@pocs/shared/wait';
import { type CopyMode, loadConfig } from '../src/config.ts';
import { createCopier } from '../src/copier.ts';
import { isThreeBrokerCluster } from '../src/experiments/broker-chaos.ts';
import { clientRetry } from '../src/kafka.ts';
import { createTopics, deleteRunArtifacts, runId, seedInput } from '../src/topics.ts';
import { renderThroughputChart } from './throughput-chart.ts';

const args = parseResultsCli(
  `usage: pnpm --filter poc-49 bench [options]
  --messages  messages copied per point (default 3000)
  --rounds    rounds per point, median reported (default 3)
  --sizes     messages per commit, comma-separated (default 10,50,250,1000)
  --chart-only  redraw throughput.svg from the committed results/throughput.json, no Kafka`,
  {
    'chart-only': { type: 'boolean', default: false },
    messages: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '10,50,250,1000' },
  },
);
const pocDir = join(dirname(fileURLToPath(import.meta.url)), '..');
if (args['chart-only']) {
  const committed = join(pocDir, 'results', 'throughput.json');
  const saved = JSON.parse(await readFile(committed, 'utf8'));
  const rounds = Number(/--rounds (\d+)/.exec(saved.command)?.[1] ?? 3);
  const out = join(resultsDir({ pocDir, write: args.write }), 'throughput.svg');
  await mkdir(dirname(out), { recursive: true });
  await writeFile(
    out,
    renderThroughputChart({ rows: saved.rows, brokers: saved.machine.brokers, rounds }),
  );
  console.log(`redrew ${out}`);
  process.exit(0);
}
const messages = intFlag('messages', args.messages);
const rounds = intFlag('rounds', args.rounds);
const sizes = args.sizes.split(',').map((s) => intFlag('sizes', s.trim()));
const partitions = 3;
const brokers = loadConfig().KAFKA_BROKERS;
const kafka = createKafka({ brokers, clientId: 'poc49-bench', retry: clientRetry });
const admin = kafka.admin();
await admin.connect();
const threeBrokers = await isThreeBrokerCluster(admin);

interface Variant {
  name: string;
  mode: CopyMode;
  /** kafkajs' own retry start (300 ms) vs ours (20 ms): see TX_RETRY_INITIAL_MS. */
  txRetryInitialMs: number;
  /** Sizes below this are skipped (the 300 ms variant takes minutes at 10 msg/commit). */
  minPerCommit: number;
}
const variants: Variant[] = [
  { name: 'at-least-once', mode: 'at-least-once', txRetryInitialMs: 20, minPerCommit: 1 },
  { name: 'transactional', mode: 'transactional', txRetryInitialMs: 20, minPerCommit: 1 },
  {
    name: 'transactional, 300 ms retry',
    mode: 'transactional',
    txRetryInitialMs: 300,
    minPerCommit: 250,
  },
];

async function copyOnce({ mode, txRetryInitialMs }: Variant, perCommit: number) {
  const id = runId();
  const input = `poc49.bin.${id}`;
  const output = `poc49.bout.${id}`;
  const groupId = `poc49-bench-${id}`;
  await createTopics(admin, [
    { topic: input, numPartitions: partitions },
    { topic: output, numPartitions: partitions },
  ]);
  try {
    await seedInput(kafka, { topic: input, messages, partitions });
    const config = loadConfig({
      KAFKA_BROKERS: brokers,
      INPUT_TOPIC: input,
      OUTPUT_TOPIC: output,
      GROUP_ID: groupId,
      TRANSACTIONAL_ID: groupId,
      COPY_MODE: mode,
      TX_MAX_MESSAGES: String(perCommit),
      AUTO_COMMIT_EVERY_MESSAGES: String(perCommit),
      AUTO_COMMIT_INTERVAL_MS: '600000',
      TX_RETRY_INITIAL_MS: String(txRetryInitialMs),
    });
    let fatal: unknown;
    const copier = createCopier({
      config,
      kafka,
      logger: silentLogger,
      registry: createRegistry({ defaultMetrics: false }),
      onFatal: (_kind, err) => {
        fatal = err;
      },
    });
    try {
      await copier.start(); // resolves once the consumer has joined its group
      const started = performance.now();
      await waitFor(
        () => {
          if (fatal) throw fatal;
          const s = copier.stats();
          return mode === 'transactional' ? s.committed >= messages : s.sent >= messages;
        },
        { timeoutMs: 120_000, intervalMs: 2, description: `${mode} copy of ${messages}` },
      );
      await copier.flush();
      const elapsedMs = performance.now() - started;
      const s = copier.stats();
      const commits = mode === 'transactional' ? s.transactions : Math.ceil(messages / perCommit);
      return {
        elapsedMs,
        msgPerSec: messages / (elapsedMs / 1000),
        msPerCommit: elapsedMs / commits,
      };
    } finally {
      await copier.stop();
    }
  } finally {
    await deleteRunArtifacts(admin, { topics: [input, output], groups: [groupId] });
  }
}

const samples = new Map<string, Array<Awaited<ReturnType<typeof copyOnce>>>>();
for (let round = 1; round <= rounds; round++) {
  for (const perCommit of sizes) {
    for (const variant of variants) {
      if (perCommit < variant.minPerCommit) continue;
      const r = await copyOnce(variant, perCommit);
      const key = `${variant.name}|${perCommit}`;
      samples.set(key, [...(samples.get(key) ?? []), r]);
      console.log(
        `round ${round} ${variant.name} ${perCommit} msg/commit: ${Math.round(r.msgPerSec)} msg/s, ${r.msPerCommit.toFixed(1)} ms/commit`,
      );
    }
  }
}
await admin.disconnect();

const rows = sizes.flatMap((perCommit) =>
  variants.flatMap((variant) => {
    const runs = samples.get(`${variant.name}|${perCommit}`);
    if (!runs) return [];
    return {
      variant: variant.name,
      mode: variant.mode,
      txRetryInitialMs: variant.mode === 'transactional' ? variant.txRetryInitialMs : null,
      messagesPerCommit: perCommit,
      msgPerSec: Math.round(median(runs.map((r) => r.msgPerSec))),
      msPerCommit: Math.round(median(runs.map((r) => r.msPerCommit)) * 10) / 10,
      elapsedMs: Math.round(median(runs.map((r) => r.elapsedMs))),
      roundsMsgPerSec: runs.map((r) => Math.round(r.msgPerSec)),
    };
  }),
);
printTable(rows.map(({ roundsMsgPerSec: _, ...r }) => r));

await writeResult({
  pocDir,
  poc: 'poc-49',
  bench: 'throughput',
  script: 'bench',
  argv: [
    ...['--messages', String(messages), '--rounds', String(rounds), '--sizes', sizes.join(',')],
    ...(args.write ? ['--write'] : []),
  ],
  write: args.write,
  services: { kafka: localKafkaVersion() },
  // Where they have always been (the --chart-only redraw reads machine.brokers).
  machineExtra: { cpus: cpus().length, brokers: threeBrokers ? 3 : 1, partitions },
  data: {
    notes:
      'median of rounds; time from group joined until all messages written and their offsets committed; acks=all, idempotent producer in both modes',
    rows,
  },
  files: {
    'throughput.svg': renderThroughputChart({ rows, brokers: threeBrokers ? 3 : 1, rounds }),
  },
});
