import { createKafka } from '@pocs/kafka';
import { waitFor } from '@pocs/shared/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CopierProcess, startCopierProcess } from '../src/experiments/copier-process.ts';
import { clientRetry } from '../src/kafka.ts';
import { summarizeOutput } from '../src/records.ts';
import { startTopicReader } from '../src/topic-reader.ts';
import {
  committedOffsets,
  createTopics,
  deleteRunArtifacts,
  lastStableOffsets,
  runId,
  seedInput,
} from '../src/topics.ts';
import { brokers, COPIER_TEST_PORT, RIVAL_COPIER_TEST_PORT } from './services.ts';

const id = runId();
const input = `poc49.in.${id}`;
const output = `poc49.out.${id}`;
const groupId = `poc49-copier-${id}`;
const kafka = createKafka({ brokers, clientId: 'poc49-test', retry: clientRetry });
const admin = kafka.admin();
const copiers: CopierProcess[] = [];

beforeAll(async () => {
  await admin.connect();
  await createTopics(admin, [
    { topic: input, numPartitions: 3 },
    { topic: output, numPartitions: 3 },
  ]);
});

afterAll(async () => {
  await Promise.all(copiers.map((c) => c.kill()));
  await deleteRunArtifacts(admin, {
    topics: [input, output],
    groups: [groupId, `${groupId}-check`],
  });
  await admin.disconnect();
});

const copied = async () =>
  (await committedOffsets(admin, groupId, input)).reaches(await lastStableOffsets(admin, input));

describe('zombie fencing', () => {
  it('a second copier with the same transactional.id fences the first, which exits with code 3; nothing is lost', async () => {
    const env = {
      KAFKA_BROKERS: brokers,
      INPUT_TOPIC: input,
      OUTPUT_TOPIC: output,
      GROUP_ID: groupId,
      TRANSACTIONAL_ID: groupId,
      TX_MAX_MESSAGES: '50',
    };
    await seedInput(kafka, { topic: input, messages: 300, partitions: 3 });
    const older = await startCopierProcess({ port: COPIER_TEST_PORT, env });
    copiers.push(older);
    await waitFor(copied, {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: 'first copier to copy 300',
    });

    // Same transactional.id: InitProducerId bumps the epoch; the older copier is now a zombie.
    const newer = await startCopierProcess({ port: RIVAL_COPIER_TEST_PORT, env });
    copiers.push(newer);
    // New work only after the epoch is claimed. Records arriving earlier would be copied by
    // the older copier, and kafkajs' OffsetFetch has no KIP-447 require_stable: the newer
    // one could read the offset from before that last transaction (see README).
    await waitFor(() => newer.events().some((line) => JSON.parse(line).evt === 'initialized'), {
      timeoutMs: 30_000,
      intervalMs: 20,
      description: 'the newer copier to claim the transactional.id',
    });
    // Work arrives on every partition, so whichever partitions the zombie still holds after
    // the rebalance, its next transaction meets the new epoch.
    const expected = await seedInput(kafka, {
      topic: input,
      messages: 300,
      partitions: 3,
      firstIndex: 300,
    });

    const exit = await Promise.race([
      older.exited,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error('older copier still running after 40 s')),
          40_000,
        ).unref(),
      ),
    ]);
    expect(exit.code).toBe(3);
    expect(older.events().some((line) => JSON.parse(line).evt === 'fenced')).toBe(true);

    await waitFor(copied, {
      timeoutMs: 40_000,
      intervalMs: 100,
      description: 'newer copier to copy all 600',
    }).catch(async (err: Error) => {
      // Say where it stands: the offsets and what the newer copier logged last.
      const where = {
        committed: Object.fromEntries(await committedOffsets(admin, groupId, input)),
        stable: Object.fromEntries(await lastStableOffsets(admin, input)),
        newerLastEvents: newer.events().slice(-8),
        newerStalled: newer.stalled() ?? null,
      };
      throw new Error(`${err.message}: ${JSON.stringify(where)}`, { cause: err });
    });
    expect(newer.events().some((line) => JSON.parse(line).evt === 'fenced')).toBe(false);
    await newer.stop();

    const reader = await startTopicReader(kafka, { topic: output, groupId: `${groupId}-check` });
    try {
      await reader.waitForPositions(await lastStableOffsets(admin, output), 30_000);
      const s = summarizeOutput(expected, reader.byPartition());
      const staleBatches = newer.events().filter((l) => JSON.parse(l).evt === 'stale-batch');
      console.info(JSON.stringify({ output: s, staleBatches: staleBatches.length }));
      // Nothing is lost across the handover. Exactness during a handover with two live
      // copiers in one group is not asserted: see "Handover" in the README.
      expect(s.missing).toBe(0);
      expect(s.unique).toBe(600);
    } finally {
      await reader.stop();
    }
  }, 120_000);
});
