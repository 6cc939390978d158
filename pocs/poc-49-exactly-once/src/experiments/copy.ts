import { createKafka } from '@pocs/kafka';
import { waitFor } from '@pocs/shared/wait';
import type { CopyMode } from '../config.ts';
import { clientRetry } from '../kafka.ts';
import { type OutputSummary, summarizeOutput } from '../records.ts';
import { startTopicReader, type TopicReader } from '../topic-reader.ts';
import {
  committedOffsets,
  createTopics,
  deleteRunArtifacts,
  lastStableOffsets,
  runId,
  seedInput,
} from '../topics.ts';
import {
  bootstrapList,
  crashBroker,
  isThreeBrokerCluster,
  leaderOf,
  restoreBroker,
} from './broker-chaos.ts';
import { type CopierProcess, startCopierProcess } from './copier-process.ts';

export interface CopyRunOptions {
  mode: CopyMode;
  brokers: string;
  /** Port for the copier child (one copier runs at a time). */
  port: number;
  messages: number;
  partitions: number;
  /** SIGKILLs of the copier, each once its current incarnation has sent messages/(kills+1). */
  copierKills: number;
  /** Crash the leader of output partition 0 at 40 % (only on a 3-broker cluster), then restore it. */
  brokerKill: boolean;
  txMaxMessages: number;
  /** at-least-once: offsets commit interval (Kafka's auto.commit.interval.ms default 5 s). */
  autoCommitIntervalMs?: number;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface BrokerKillResult {
  nodeId: number;
  /** Messages the copiers sent while the broker was down. */
  sentWhileDown: number;
  downMs: number;
  /** From `up --node` until every broker is back and no partition is under-replicated. */
  restoreMs: number;
}

export interface CopyRunResult {
  mode: CopyMode;
  messages: number;
  partitions: number;
  txMaxMessages: number;
  copierStarts: number;
  copierKills: number;
  /** Copier exits with an error (e.g. while the broker was down); the supervisor restarted them. */
  copierFailures: number;
  /** Copiers that stopped answering (a blocked event loop) and the liveness probe SIGKILLed. */
  copierStalls: number;
  /** What each killed copier reported as sent but not committed just before SIGKILL. */
  uncommittedAtKill: number[];
  brokerKill: BrokerKillResult | null;
  /** Final read of the output, read_committed. */
  output: OutputSummary;
  /** The reader that ran during the whole copy, read_committed. */
  concurrentReader: OutputSummary & { crashes: number };
  /** The same log read_uncommitted: aborted records are physically there. */
  readUncommitted: OutputSummary;
  copyMs: number;
  elapsedMs: number;
}

async function readToEnd(
  reader: TopicReader,
  end: ReadonlyMap<number, number>,
  expected: number[],
): Promise<OutputSummary> {
  await reader.waitForPositions(end, 60_000);
  return summarizeOutput(expected, reader.byPartition());
}

/**
 * Kafka's transactions system test, scaled to a laptop: seed the input, run the copier
 * as a child process, SIGKILL it mid-run `copierKills` times (a supervisor restarts it, as
 * Kubernetes would), optionally crash a broker, wait until the group's committed offsets
 * reach the end of the input, then compare the output with the input per partition.
 */
export async function runCopyExperiment(o: CopyRunOptions): Promise<CopyRunResult> {
  const started = Date.now();
  const log = o.log ?? (() => {});
  const id = runId();
  const input = `poc49.in.${id}`;
  const output = `poc49.out.${id}`;
  const groupId = `poc49-copier-${id}`;
  const groups = [groupId, `poc49-reader-${id}`, `poc49-final-${id}`, `poc49-raw-${id}`];
  const brokers = await bootstrapList(o.brokers);
  const kafka = createKafka({
    brokers,
    clientId: `poc49-harness-${id}`,
    retry: clientRetry,
  });
  const admin = kafka.admin();
  await admin.connect();
  const readers: TopicReader[] = [];
  let copier: CopierProcess | undefined;
  let crashedNode: number | undefined;
  let finished = false;
  let brokerTask: Promise<BrokerKillResult | null> | undefined;
  try {
    await createTopics(admin, [
      { topic: input, numPartitions: o.partitions },
      { topic: output, numPartitions: o.partitions },
    ]);
    const expected = await seedInput(kafka, {
      topic: input,
      messages: o.messages,
      partitions: o.partitions,
    });
    const inputEnd = await lastStableOffsets(admin, input);
    log(`seeded ${o.messages} messages into ${input} (${expected.join('/')} per partition)`);

    const concurrent = await startTopicReader(kafka, { topic: output, groupId: groups[1]! });
    readers.push(concurrent);

    const env = {
      KAFKA_BROKERS: brokers,
      INPUT_TOPIC: input,
      OUTPUT_TOPIC: output,
      GROUP_ID: groupId,
      TRANSACTIONAL_ID: groupId,
      COPY_MODE: o.mode,
      TX_MAX_MESSAGES: String(o.txMaxMessages),
      AUTO_COMMIT_INTERVAL_MS: String(o.autoCommitIntervalMs ?? 5_000),
    };
    const killEvery = Math.floor(o.messages / (o.copierKills + 1));
    const uncommittedAtKill: number[] = [];
    let sentBefore = 0;
    let starts = 0;
    let failures = 0;
    let stalls = 0;
    const totalSent = () => sentBefore + (copier?.progress().sent ?? 0);

    brokerTask = (async (): Promise<BrokerKillResult | null> => {
      if (!o.brokerKill || !(await isThreeBrokerCluster(admin))) return null;
      await waitFor(() => finished || totalSent() >= o.messages * 0.4, {
        timeoutMs: o.timeoutMs ?? 180_000,
        intervalMs: 50,
        description: 'copy progress to reach 40 % before the broker crash',
      });
      if (finished) return null;
      const nodeId = await leaderOf(admin, output);
      await crashBroker(nodeId);
      crashedNode = nodeId;
      const downAt = Date.now();
      const sentAtCrash = totalSent();
      log(`crashed broker ${nodeId} (SIGKILL) at ${sentAtCrash} messages sent`);
      // Keep it down until the copier has shown it can go on without it (or 45 s passed:
      // a copier caught mid-transaction gives up after TX_DEADLINE_MS, 15 s, and restarts).
      await waitFor(() => finished || totalSent() - sentAtCrash >= 1_000, {
        timeoutMs: 45_000,
        intervalMs: 50,
      }).catch(() => undefined);
      const sentWhileDown = totalSent() - sentAtCrash;
      const downMs = Date.now() - downAt;
      const { restoreMs } = await restoreBroker(admin, nodeId, [input, output]);
      crashedNode = undefined;
      log(
        `broker ${nodeId} back after ${downMs} ms down (${sentWhileDown} sent meanwhile); whole again in ${restoreMs} ms`,
      );
      return { nodeId, sentWhileDown, downMs, restoreMs };
    })();

    const copyStarted = Date.now();
    const deadline = copyStarted + (o.timeoutMs ?? 180_000);
    const copied = async () => (await committedOffsets(admin, groupId, input)).reaches(inputEnd);
    for (;;) {
      if (Date.now() > deadline) throw new Error(`copy not finished after ${o.timeoutMs} ms`);
      let killing = false;
      starts++;
      try {
        copier = await startCopierProcess({
          port: o.port,
          env,
          onProgress: (p, self) => {
            if (killing || uncommittedAtKill.length >= o.copierKills || p.sent < killEvery) return;
            killing = true;
            uncommittedAtKill.push(p.uncommitted);
            void self.kill();
          },
        });
      } catch (err) {
        // A copier that fails while starting (a broker just died) is restarted like any other.
        failures++;
        log(`copier failed to start: ${(err as Error).message}`);
        continue;
      }
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      void copier.exited.then((e) => {
        exit = e;
      });
      const running = copier;
      const done = await waitFor(async () => exit ?? ((await copied()) ? 'done' : false), {
        timeoutMs: Math.max(1, deadline - Date.now()),
        intervalMs: 200,
        description: 'the input to be copied and committed',
      }).catch((err: Error) => {
        throw new Error(
          `${err.message}; copier ${running.pid} (${JSON.stringify(running.progress())}) last said:\n${running.events().slice(-5).join('\n')}`,
          { cause: err },
        );
      });
      if (done === 'done') {
        await copier.stop();
        sentBefore += copier.progress().sent;
        copier = undefined;
        break;
      }
      sentBefore += copier.progress().sent;
      const stalled = copier.stalled();
      if (stalled) {
        stalls++;
        log(`liveness probe killed copier ${copier.pid}: ${stalled}`);
      } else if (!killing) {
        failures++;
        log(
          `copier exited by itself (${JSON.stringify(done)}): ${copier
            .events()
            .filter((e) => e.includes('"evt":"failed"'))
            .concat(copier.events().slice(-1))
            .join('\n')}`,
        );
      } else
        log(
          `killed copier #${uncommittedAtKill.length} with ${uncommittedAtKill.at(-1)} uncommitted`,
        );
      copier = undefined;
    }
    const copyMs = Date.now() - copyStarted;
    finished = true;
    const brokerKill = await brokerTask;

    const end = await lastStableOffsets(admin, output);
    const final = await startTopicReader(kafka, { topic: output, groupId: groups[2]! });
    const raw = await startTopicReader(kafka, {
      topic: output,
      groupId: groups[3]!,
      readUncommitted: true,
    });
    readers.push(final, raw);
    const [outputSummary, concurrentSummary, rawSummary] = await Promise.all([
      readToEnd(final, end, expected),
      readToEnd(concurrent, end, expected),
      readToEnd(raw, end, expected),
    ]);
    return {
      mode: o.mode,
      messages: o.messages,
      partitions: o.partitions,
      txMaxMessages: o.txMaxMessages,
      copierStarts: starts,
      copierKills: uncommittedAtKill.length,
      copierFailures: failures,
      copierStalls: stalls,
      uncommittedAtKill,
      brokerKill,
      output: outputSummary,
      concurrentReader: { ...concurrentSummary, crashes: concurrent.crashes() },
      readUncommitted: rawSummary,
      copyMs,
      elapsedMs: Date.now() - started,
    };
  } finally {
    finished = true;
    await copier?.kill().catch(() => undefined);
    await brokerTask?.catch((err) => log(`broker step failed: ${(err as Error).message}`));
    if (crashedNode !== undefined) {
      await restoreBroker(admin, crashedNode, [input, output]).catch((err) =>
        log(`could not restore broker ${crashedNode}: ${(err as Error).message}`),
      );
    }
    await Promise.all(readers.map((r) => r.stop().catch(() => undefined)));
    await deleteRunArtifacts(admin, { topics: [input, output], groups });
    await admin.disconnect();
  }
}
