import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka } from '@pocs/kafka';
import { type ChildService, startChildService } from '@pocs/shared/child-service';
import { waitFor } from '@pocs/shared/wait';
import type { Admin, Kafka } from 'kafkajs';
import type { ProcessingGuarantee } from '../config.ts';
import { parseEvent } from '../events.ts';
import { generateEvents, type PlacedEvent } from '../generator.ts';
import { committedOffsets, deleteTopics, endOffsets, ensureTopics } from '../kafka.ts';
import type { ProcessorStats } from '../processor.ts';
import { readToEnd } from '../read-to-end.ts';
import {
  diffResults,
  type ReferenceResults,
  type ResultDiff,
  referenceResults,
} from '../reference.ts';

/** The POC's folder: the child processor runs src/server.ts from there. */
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

export interface ExperimentOptions {
  brokers: string[];
  partitions: number;
  seed: number;
  events: number;
  keys: number;
  windowSizeMs: number;
  graceMs: number;
}

export interface RunOptions {
  name: string;
  guarantee: ProcessingGuarantee;
  /** BREAK_NO_CHANGELOG: counts in memory only. */
  noChangelog?: boolean;
  /** SIGKILL the processor once it processed this many events, then start it again. */
  killAfterEvents?: number;
  port: number;
  commitIntervalMs?: number;
  commitMaxEvents?: number;
  timeoutMs?: number;
}

export interface RunResult {
  name: string;
  guarantee: ProcessingGuarantee;
  changelog: boolean;
  /** Set when the run was killed: what the processor had done at the last look before SIGKILL. */
  kill: {
    processedBeforeKill: number;
    committedOffsetsAtKill: number;
    openWindowsBeforeKill: number;
  } | null;
  /** The processor's stats after the (re)start, when every input offset was committed. */
  final: ProcessorStats;
  /** Windows in the output topic (latest value per key). */
  windowsEmitted: number;
  countedInOutput: number;
  diff: ResultDiff;
  elapsedMs: number;
}

let experiments = 0;

/**
 * One deterministic input topic and its reference results; each run() starts the real
 * service as a child process on its own group and topics and compares what it emitted.
 */
export async function createExperiment(o: ExperimentOptions) {
  const id = `${process.pid}-${++experiments}-${randomBytes(3).toString('hex')}`;
  const kafka: Kafka = createKafka({ brokers: o.brokers, clientId: 'poc-48-experiment' });
  const admin: Admin = kafka.admin();
  await admin.connect();
  const topics: string[] = [];
  const groups: string[] = [];
  const inputTopic = `poc48.exp.${id}.events`;
  const spec = { sizeMs: o.windowSizeMs, graceMs: o.graceMs };
  const placed: PlacedEvent[] = generateEvents({ ...o });
  const children = new Set<ChildService>();

  try {
    topics.push(inputTopic);
    await ensureTopics(admin, [{ topic: inputTopic, partitions: o.partitions }]);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = 0; i < placed.length; i += 2_000) {
        await producer.send({
          topic: inputTopic,
          acks: -1,
          messages: placed.slice(i, i + 2_000).map(({ partition, event }) => ({
            key: event.key,
            value: JSON.stringify(event),
            partition,
          })),
        });
      }
    } finally {
      await producer.disconnect();
    }
  } catch (err) {
    await deleteTopics(admin, topics).catch(() => {});
    await admin.disconnect();
    throw err;
  }

  // The reference is computed from what the input topic really holds, read back in offset
  // order: a producer retry that duplicated a batch is then part of "the same input".
  const stored: PlacedEvent[] = [];
  await readToEnd({
    kafka,
    admin,
    topic: inputTopic,
    groupPrefix: `poc48-exp-${id}-input`,
    onMessage: (partition, m) => {
      const event = parseEvent(m.value);
      if (event) stored.push({ partition, event });
    },
  });
  const reference: ReferenceResults = referenceResults(stored, spec);

  const totalInput = async () =>
    [...(await endOffsets(admin, inputTopic)).values()].reduce((a, b) => a + b, 0);
  const inputEnd = await totalInput();

  const committedTotal = async (groupId: string) =>
    [...(await committedOffsets(admin, groupId, inputTopic)).values()].reduce(
      (a, b) => a + Math.max(0, b),
      0,
    );

  const stats = async (child: ChildService) =>
    (await (await fetch(`${child.url}/stats`)).json()) as ProcessorStats;

  async function run(r: RunOptions): Promise<RunResult> {
    const started = performance.now();
    const timeoutMs = r.timeoutMs ?? 60_000;
    const applicationId = `poc48-exp-${id}-${r.name}`;
    const changelogTopic = `poc48.exp.${id}.${r.name}.changelog`;
    const outputTopic = `poc48.exp.${id}.${r.name}.output`;
    topics.push(changelogTopic, outputTopic);
    groups.push(applicationId);
    const env = {
      KAFKA_BROKERS: o.brokers.join(','),
      INPUT_TOPIC: inputTopic,
      CHANGELOG_TOPIC: changelogTopic,
      OUTPUT_TOPIC: outputTopic,
      APPLICATION_ID: applicationId,
      TOPIC_PARTITIONS: String(o.partitions),
      WINDOW_SIZE_MS: String(o.windowSizeMs),
      GRACE_MS: String(o.graceMs),
      PROCESSING_GUARANTEE: r.guarantee,
      BREAK_NO_CHANGELOG: r.noChangelog ? '1' : '0',
      // The broker's minimum: a SIGKILLed member holds its partitions this long.
      SESSION_TIMEOUT_MS: '6000',
      // ~250 events per batch: the partitions interleave, so the kill lands mid-window in each.
      FETCH_MAX_BYTES_PER_PARTITION: '16384',
      COMMIT_INTERVAL_MS: String(r.commitIntervalMs ?? 100),
      COMMIT_MAX_EVENTS: String(r.commitMaxEvents ?? 500),
      LOG_LEVEL: process.env.POC48_CHILD_LOG_LEVEL ?? 'error',
    };
    const start = async () => {
      const child = await startChildService({
        entry: 'src/server.ts',
        cwd: root,
        port: r.port,
        env,
        startTimeoutMs: timeoutMs,
        onOutput: process.env.POC48_CHILD_LOG_LEVEL ? (s) => process.stderr.write(s) : undefined,
      });
      children.add(child);
      return child;
    };

    let kill: RunResult['kill'] = null;
    let child = await start();
    try {
      if (r.killAfterEvents !== undefined) {
        const before = await waitFor(
          async () => {
            const s = await stats(child);
            return s.processedHere >= (r.killAfterEvents ?? 0) ? s : undefined;
          },
          { timeoutMs, intervalMs: 5, description: `${r.killAfterEvents} events processed` },
        );
        // The crash: no shutdown hook, no last commit, an open transaction left behind.
        child.process.kill('SIGKILL');
        await child.stop();
        children.delete(child);
        kill = {
          processedBeforeKill: before.processedHere,
          committedOffsetsAtKill: await committedTotal(applicationId),
          openWindowsBeforeKill: before.openWindows,
        };
        child = await start();
      }
      await waitFor(async () => (await committedTotal(applicationId)) >= inputEnd, {
        timeoutMs,
        intervalMs: 50,
        description: `${r.name}: all ${inputEnd} input offsets committed`,
      });
      const final = await stats(child);
      await child.stop();
      children.delete(child);

      const emitted = new Map<string, number>();
      await readToEnd({
        kafka,
        admin,
        topic: outputTopic,
        groupPrefix: applicationId,
        timeoutMs,
        onMessage: (_p, m) => {
          if (!m.key || !m.value) return;
          emitted.set(
            m.key.toString(),
            (JSON.parse(m.value.toString()) as { count: number }).count,
          );
        },
      });
      return {
        name: r.name,
        guarantee: r.guarantee,
        changelog: !r.noChangelog,
        kill,
        final,
        windowsEmitted: emitted.size,
        countedInOutput: [...emitted.values()].reduce((a, b) => a + b, 0),
        diff: diffResults(reference.results, emitted),
        elapsedMs: Math.round(performance.now() - started),
      };
    } finally {
      if (children.has(child)) {
        child.process.kill('SIGKILL');
        await child.stop();
        children.delete(child);
      }
    }
  }

  return {
    id,
    inputTopic,
    clusterBrokers: async () => (await admin.describeCluster()).brokers.length,
    inputEvents: inputEnd,
    placed,
    /** Events in the topic beyond the generated ones (producer retries), normally 0. */
    inputDuplicates: stored.length - placed.length,
    reference,
    run,
    async cleanup() {
      for (const child of children) await child.stop(2_000).catch(() => {});
      await admin.deleteGroups(groups).catch(() => {});
      await deleteTopics(admin, topics).catch(() => {});
      await admin.disconnect();
    },
  };
}

export type Experiment = Awaited<ReturnType<typeof createExperiment>>;
