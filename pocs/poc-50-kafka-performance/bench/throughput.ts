/**
 * Producer/consumer throughput on the shared broker(s), every configuration in rounds
 * (interleaved, medians): message size, messages per send, compression, acks, in-flight
 * sends, consumer partitionsConsumedConcurrently; kafkajs vs @platformatic/kafka vs
 * Kafka's own Java perf tools from the same jars.
 *
 *   pnpm --filter poc-50 bench                 # full: 3 rounds × 3 s windows (≈ 6–8 min)
 *   pnpm --filter poc-50 bench -- --quick      # 1 round × 1 s windows (≈ 2 min)
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { compressionsAlgorithms } from '@platformatic/kafka';
import { createKafka, uniqueName } from '@pocs/kafka';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { serviceDefaults } from '@pocs/shared/config';
import { resultsDir, writeResult } from '@pocs/shared/results';
import { localKafkaVersion } from '@pocs/shared/service-versions';
import { median } from '@pocs/shared/stats';
import type { Admin } from 'kafkajs';
import { compressFrameSync } from 'lz4-napi';
import { type CodecName, registerKafkajsCodecs, zstdOptions } from '../src/codecs.ts';
import {
  BASELINE_ID,
  type ConsumerCase,
  consumerCases,
  type ProducerCase,
  producerCases,
  smokeCases,
  TUNED_ID,
} from '../src/experiments/throughput/cases.ts';
import { writeCharts } from '../src/experiments/throughput/charts.ts';
import {
  defaultLibsDir,
  findJavaTool,
  type JavaTool,
  JavaToolMissingError,
  runJavaConsumer,
  runJavaProducer,
} from '../src/experiments/throughput/java-tool.ts';
import { makePayloads } from '../src/experiments/throughput/payload.ts';
import { type BenchData, benchResultSchema } from '../src/experiments/throughput/result-schema.ts';
import { runNodeConsumer } from '../src/experiments/throughput/run-consumer.ts';
import { type RoundResult, runNodeProducer } from '../src/experiments/throughput/run-producer.ts';
import { createTopic, deleteTopics } from '../src/kafka.ts';

const pocDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = parseResultsCli(
  `usage: pnpm --filter poc-50 bench [-- options]
  --quick              1 round, 1 s windows, 20k messages for consumers (≈ 2 min)
  --smoke              the smallest run: 2 producer + 1 consumer case, no Java (what the test drives)
  --rounds N           rounds; every case runs once per round, order rotated (default 3)
  --duration-ms N      producer/consumer measuring window per case (default 3000)
  --consumer-messages N  messages pre-filled for the consumer cases (default 60000)
  --partitions N       partitions of the bench topics (default 6)
  --only REGEX         run only the cases whose id matches
  --brokers LIST       bootstrap brokers (default $KAFKA_BROKERS or ${serviceDefaults.KAFKA_BROKERS})
  --kafka-libs DIR     Kafka libs folder holding kafka-tools-*.jar (default: the one pnpm services installed)
  --no-java            skip the Java ProducerPerformance/ConsumerPerformance cases
  --out DIR            where throughput.json and the SVGs go (default: see --write)
  --charts-from FILE   only redraw the SVGs from a saved result (no Kafka needed)`,
  {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    'duration-ms': { type: 'string' },
    'consumer-messages': { type: 'string' },
    partitions: { type: 'string', default: '6' },
    only: { type: 'string' },
    brokers: {
      type: 'string',
      default: process.env.KAFKA_BROKERS || serviceDefaults.KAFKA_BROKERS,
    },
    'kafka-libs': { type: 'string' },
    'no-java': { type: 'boolean', default: false },
    out: { type: 'string' },
    'charts-from': { type: 'string' },
  },
);

if (args['charts-from']) {
  const saved = benchResultSchema.parse(JSON.parse(readFileSync(args['charts-from'], 'utf8')));
  const outDir = resultsDir({ pocDir, write: args.write, outDir: args.out });
  await mkdir(outDir, { recursive: true });
  console.log(`wrote ${(await writeCharts(saved, outDir)).join(', ')}`);
  process.exit(0);
}

const suite = args.smoke ? 'smoke' : args.quick ? 'quick' : 'full';
const defaults = { full: [3, 3_000, 60_000], quick: [1, 1_000, 20_000], smoke: [1, 500, 2_000] }[
  suite
];
const rounds = intFlag('rounds', args.rounds ?? String(defaults[0]));
const durationMs = intFlag('duration-ms', args['duration-ms'] ?? String(defaults[1]));
const consumerMessages = intFlag(
  'consumer-messages',
  args['consumer-messages'] ?? String(defaults[2]),
);
const partitions = intFlag('partitions', args.partitions);
const brokers = args.brokers;
const useJava = !args['no-java'] && suite !== 'smoke';
const CONSUMER_MESSAGE_BYTES = 256;
const only = args.only ? new RegExp(args.only) : undefined;

let javaTool: JavaTool | undefined;
if (useJava) {
  try {
    javaTool = await findJavaTool(args['kafka-libs'] ?? defaultLibsDir());
  } catch (err) {
    if (!(err instanceof JavaToolMissingError)) throw err;
    console.error(`bench needs Kafka's Java perf tool: ${err.message}`);
    process.exit(2);
  }
}

const picked =
  suite === 'smoke'
    ? smokeCases()
    : {
        producer: producerCases({ java: useJava }),
        consumer: consumerCases({ java: useJava }),
      };
const pCases = picked.producer.filter((c) => !only || only.test(c.id));
const cCases = picked.consumer.filter((c) => !only || only.test(c.id));
if (pCases.length + cCases.length === 0) {
  console.error(`--only ${args.only} matches no case`);
  process.exit(2);
}

registerKafkajsCodecs();
const kafka = createKafka({ brokers, clientId: 'poc50-bench' });
const admin = kafka.admin();
await admin.connect();
const cluster = await admin.describeCluster();
const created: string[] = [];
const cleanup = async () => {
  await deleteTopics(admin, created);
  await admin.disconnect();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    console.error(`\n${signal}: deleting bench topics`);
    void cleanup().finally(() => process.exit(130));
  });

console.log(
  `poc-50 bench (${suite}): ${pCases.length} producer + ${cCases.length} consumer cases × ${rounds} round(s), ` +
    `${durationMs} ms windows, ${cluster.brokers.length} broker(s) at ${brokers}` +
    (javaTool ? `, Java tool ${javaTool.toolsJar} (${javaTool.javaVersion})` : ', no Java'),
);

const producerRounds = new Map<string, RoundResult[]>();
const consumerRounds = new Map<string, RoundResult[]>();
const fmtRate = (r: RoundResult) =>
  `${r.msgsPerSec.toLocaleString('en-US')} msg/s (${r.mbPerSec} MB/s, ${r.messages.toLocaleString('en-US')} msgs)`;
const rotate = <T>(xs: T[], by: number) => xs.map((_, i) => xs[(i + by) % xs.length]!);

async function runProducer(c: ProducerCase, topic: string): Promise<RoundResult> {
  if (c.client !== 'java') return runNodeProducer(c, { brokers, topic, durationMs });
  // The Java tool takes a record count, not a duration: size it from what it did so far.
  const previous = producerRounds.get(c.id)?.map((r) => r.msgsPerSec) ?? [];
  const expected = previous.length ? median(previous) : 50_000;
  // At least 5 s of sending, so JIT warm-up does not dominate the JVM's number.
  const seconds = Math.max(durationMs, 5_000) / 1000;
  const records = Math.min(2_000_000, Math.max(20_000, Math.round(expected * seconds)));
  return runJavaProducer(javaTool as JavaTool, c, { brokers, topic, records });
}

// The smoke run reads every pre-filled message (its test checks the exact count); the
// others measure a window of durationMs.
const consumerWindowMs = suite === 'smoke' ? 30_000 : durationMs;

async function runConsumer(c: ConsumerCase, topic: string, total: number): Promise<RoundResult> {
  if (c.client !== 'java') {
    return runNodeConsumer(c, {
      brokers,
      admin,
      topic,
      total,
      messageBytes: CONSUMER_MESSAGE_BYTES,
      durationMs: consumerWindowMs,
    });
  }
  const group = uniqueName('poc50-bench-java');
  try {
    return await runJavaConsumer(javaTool as JavaTool, {
      brokers,
      topic,
      group,
      messages: total,
      messageBytes: CONSUMER_MESSAGE_BYTES,
    });
  } finally {
    await admin.deleteGroups([group]).catch(() => {});
  }
}

/** Fill the consumer topic once, exactly (idempotent producer), and return how many it holds. */
async function prefill(admin: Admin, topic: string): Promise<number> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const payloads = makePayloads('letters', CONSUMER_MESSAGE_BYTES);
  for (let sent = 0; sent < consumerMessages; sent += 1_000) {
    const n = Math.min(1_000, consumerMessages - sent);
    await producer.send({
      topic,
      messages: Array.from({ length: n }, (_, i) => ({
        value: payloads[(sent + i) % payloads.length]!,
      })),
    });
  }
  await producer.disconnect();
  const ends = await admin.fetchTopicOffsets(topic);
  return ends.reduce((sum, p) => sum + Number(p.high), 0);
}

try {
  let consumerTopic: string | undefined;
  let consumerTotal = 0;
  if (cCases.length > 0) {
    consumerTopic = uniqueName('poc50-bench-consume');
    await createTopic(admin, consumerTopic, partitions);
    created.push(consumerTopic);
    consumerTotal = await prefill(admin, consumerTopic);
    console.log(
      `pre-filled ${consumerTopic} with ${consumerTotal} messages of ${CONSUMER_MESSAGE_BYTES} B`,
    );
  }
  for (let round = 0; round < rounds; round++) {
    const tag = `[round ${round + 1}/${rounds}]`;
    if (pCases.length > 0) {
      // A fresh topic per round keeps the log (and the disk) small; deleted right after.
      const topic = uniqueName(`poc50-bench-r${round + 1}`);
      await createTopic(admin, topic, partitions);
      created.push(topic);
      for (const c of rotate(pCases, round)) {
        const r = await runProducer(c, topic);
        producerRounds.set(c.id, [...(producerRounds.get(c.id) ?? []), r]);
        console.log(`${tag} producer ${c.id.padEnd(24)} ${fmtRate(r)}`);
      }
      await deleteTopics(admin, [topic]);
    }
    for (const c of rotate(cCases, round)) {
      const r = await runConsumer(c, consumerTopic as string, consumerTotal);
      consumerRounds.set(c.id, [...(consumerRounds.get(c.id) ?? []), r]);
      console.log(`${tag} consumer ${c.id.padEnd(24)} ${fmtRate(r)}`);
    }
  }
} finally {
  await cleanup();
}

const summarize = (rs: RoundResult[]) => ({
  rounds: rs,
  median: {
    msgsPerSec: Math.round(median(rs.map((r) => r.msgsPerSec))),
    mbPerSec: Number(median(rs.map((r) => r.mbPerSec)).toFixed(2)),
  },
});

/** Each client's own codec: kafkajs's registered ones (zlib gzip, lz4-napi, zlib zstd), @platformatic/kafka's built-ins. */
const compressors: Record<
  'kafkajs' | 'platformatic',
  Record<CodecName, (b: Buffer) => Uint8Array>
> = {
  kafkajs: {
    none: (b) => b,
    gzip: (b) => gzipSync(b),
    lz4: (b) => compressFrameSync(b),
    zstd: (b) => zstdCompressSync(b, zstdOptions),
  },
  platformatic: {
    none: (b) => b,
    gzip: (b) => compressionsAlgorithms.gzip.compressSync(b),
    lz4: (b) => compressionsAlgorithms.lz4.compressSync(b),
    zstd: (b) => compressionsAlgorithms.zstd.compressSync(b),
  },
};
const samples = new Map<string, Buffer>();

/** Compressed ÷ raw bytes of one 1,000-message batch of the case's payload (one sample for every codec). */
function codecRatio(c: ProducerCase): number | undefined {
  if (c.sweep !== 'compression' || c.client === 'java') return undefined;
  const key = `${c.payload}/${c.messageBytes}/${c.batchSize}`;
  let raw = samples.get(key);
  if (!raw) {
    raw = Buffer.concat(makePayloads(c.payload, c.messageBytes, c.batchSize));
    samples.set(key, raw);
  }
  return Number((compressors[c.client][c.compression](raw).length / raw.length).toFixed(3));
}

const producer = pCases.map((c) => {
  const codec = codecRatio(c);
  return {
    ...c,
    ...(codec !== undefined ? { codecRatio: codec } : {}),
    ...summarize(producerRounds.get(c.id) ?? []),
  };
});
const consumer = cCases.map((c) => ({ ...c, ...summarize(consumerRounds.get(c.id) ?? []) }));
const rateOf = (list: { id: string; median: { msgsPerSec: number } }[], id: string) =>
  list.find((x) => x.id === id)?.median.msgsPerSec ?? null;
const ratio = (a: number | null, b: number | null) =>
  a !== null && b !== null ? Number((a / b).toFixed(2)) : null;
const p = (id: string) => rateOf(producer, id);
const c = (id: string) => rateOf(consumer, id);
const baseline = p(BASELINE_ID);
const tuned = p(TUNED_ID);

// Same shape = same messages per send; the Java producer batches by itself, so it is set against kafkajs-tuned.
const sameShape: Record<string, string> = {
  'platformatic-batch-1': 'kafkajs-batch-1',
  'platformatic-batch-10': 'kafkajs-batch-10',
  'platformatic-batch-100': 'kafkajs-batch-100',
  'platformatic-batch-1000': 'kafkajs-batch-1000',
  'platformatic-tuned': 'kafkajs-tuned',
  'java-defaults': 'kafkajs-tuned',
  'java-tuned': 'kafkajs-tuned',
};
const versionOf = (pkg: string) =>
  (
    JSON.parse(readFileSync(join(pocDir, 'node_modules', pkg, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

const result: BenchData = {
  environment: {
    node: process.version,
    java: javaTool?.javaVersion ?? null,
    kafkaTools: javaTool?.toolsJar ?? null,
    kafkajs: versionOf('kafkajs'),
    platformaticKafka: versionOf('@platformatic/kafka'),
    brokers: cluster.brokers.length,
    bootstrap: brokers,
    cpus: cpus().length,
  },
  settings: {
    suite,
    rounds,
    durationMs,
    partitions,
    consumerMessages,
    consumerMessageBytes: CONSUMER_MESSAGE_BYTES,
  },
  producer,
  consumer,
  comparisons: {
    tunedVsBaseline: {
      baseline,
      tuned,
      ratio: ratio(tuned, baseline),
      target: 10,
      met: tuned !== null && baseline !== null ? tuned / baseline >= 10 : null,
    },
    // https://github.com/platformatic/kafka/blob/main/BENCHMARKS.md: 95,039 vs 61,878 op/s (single), 4,488.69 vs 3,144.13 (100 per send).
    platformaticVsKafkajs: [
      {
        shape: '1 message per send',
        measured: ratio(p('platformatic-batch-1'), p('kafkajs-batch-1')),
        published: 1.54,
      },
      {
        shape: '100 messages per send',
        measured: ratio(p('platformatic-batch-100'), p('kafkajs-batch-100')),
        published: 1.43,
      },
      {
        shape: '1000 per send, 4 in flight',
        measured: ratio(p('platformatic-tuned'), p('kafkajs-tuned')),
        published: null,
      },
    ],
    producers: producer
      .filter((x) => x.sweep === 'batch' || x.sweep === 'tuned')
      .map((x) => ({
        id: x.id,
        msgsPerSec: x.median.msgsPerSec,
        toKafkajs: ratio(x.median.msgsPerSec, p(sameShape[x.id] ?? x.id)),
        toJava: ratio(x.median.msgsPerSec, p('java-defaults')),
      })),
    consumers: consumer
      .filter((x) => x.workMs === 0)
      .map((x) => ({
        id: x.id,
        msgsPerSec: x.median.msgsPerSec,
        toKafkajs: ratio(
          x.median.msgsPerSec,
          c(`kafkajs-pcc-${x.partitionsConsumedConcurrently}-work-0ms`) ??
            c('kafkajs-pcc-1-work-0ms'),
        ),
        toJava: ratio(x.median.msgsPerSec, c('java')),
      })),
  },
};

const { dir, jsonPath } = await writeResult({
  pocDir,
  poc: 'poc-50',
  bench: 'throughput',
  name: suite === 'smoke' ? 'throughput-smoke' : 'throughput',
  script: 'bench',
  write: args.write,
  outDir: args.out,
  services: { kafka: localKafkaVersion() },
  data: result,
});
benchResultSchema.parse(JSON.parse(readFileSync(jsonPath, 'utf8')));
const written = await writeCharts(result, dir);

const t = result.comparisons.tunedVsBaseline;
console.log(
  `\ntuned kafkajs ÷ one-message-per-send defaults: ${t.ratio ?? 'n/a'}× (target ≥ ${t.target}×)`,
);
for (const row of result.comparisons.platformaticVsKafkajs)
  console.log(
    `@platformatic/kafka ÷ kafkajs, ${row.shape}: ${row.measured ?? 'n/a'}× (published ${row.published ?? '—'})`,
  );
console.log(`wrote ${written.join(', ')}`);
