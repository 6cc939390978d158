import { createKafka } from '@pocs/kafka';
import { waitFor } from '@pocs/shared/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientRetry } from '../src/kafka.ts';
import { encodeRecord } from '../src/records.ts';
import { startTopicReader, type TopicReader } from '../src/topic-reader.ts';
import { createTopics, deleteRunArtifacts, lastStableOffsets, runId } from '../src/topics.ts';
import { brokers } from './services.ts';

const id = runId();
const topic = `poc49.iso.${id}`;
const groups = [`poc49-rc-${id}`, `poc49-ru-${id}`];
const kafka = createKafka({ brokers, clientId: 'poc49-test', retry: clientRetry });
const admin = kafka.admin();
const producer = kafka.producer({
  transactionalId: `poc49-iso-${id}`,
  idempotent: true,
  maxInFlightRequests: 1,
});
const readers: TopicReader[] = [];

beforeAll(async () => {
  await admin.connect();
  await createTopics(admin, [{ topic, numPartitions: 1 }]);
  await producer.connect();
});

afterAll(async () => {
  await Promise.all(readers.map((r) => r.stop()));
  await producer.disconnect();
  await deleteRunArtifacts(admin, { topics: [topic], groups });
  await admin.disconnect();
});

const records = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    partition: 0,
    value: encodeRecord({ p: 0, seq: from + i }),
  }));
/** The LSO of partition 0 once it equals `offset` (it must never pass it). */
const lsoReaches = (offset: number) =>
  waitFor(
    async () => {
      const lso = await lastStableOffsets(admin, topic);
      expect(lso.get(0)).toBeLessThanOrEqual(offset);
      return lso.get(0) === offset ? lso : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 20, description: `LSO of ${topic}/0 to reach ${offset}` },
  );
const seqs = (r: TopicReader) => (r.byPartition().get(0) ?? []).map((x) => x.seq);

describe('isolation levels and the last stable offset', () => {
  it('an aborted transaction is invisible to read_committed and visible to read_uncommitted; an open one holds the LSO', async () => {
    const aborted = await producer.transaction();
    await aborted.send({ topic, acks: -1, messages: records(100, 5) });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic, acks: -1, messages: records(0, 3) });
    await committed.commit();
    // 5 aborted records + abort marker + 3 records + commit marker. commit() returns once the
    // coordinator has logged the decision; it writes the markers right after, so the LSO
    // reaches 10 a moment later.
    const end = await lsoReaches(10);

    const readCommitted = await startTopicReader(kafka, { topic, groupId: groups[0]! });
    const readUncommitted = await startTopicReader(kafka, {
      topic,
      groupId: groups[1]!,
      readUncommitted: true,
    });
    readers.push(readCommitted, readUncommitted);
    await readCommitted.waitForPositions(end, 30_000);
    await readUncommitted.waitForPositions(end, 30_000);
    expect(seqs(readCommitted)).toEqual([0, 1, 2]);
    expect(seqs(readUncommitted)).toEqual([100, 101, 102, 103, 104, 0, 1, 2]);

    // An open transaction: read_uncommitted sees its records at once; the LSO stays at its
    // first offset, so read_committed readers (and admin's read_committed ListOffsets) stop there.
    const open = await producer.transaction();
    await open.send({ topic, acks: -1, messages: records(3, 2) });
    await readUncommitted.waitForPositions(new Map([[0, 12]]), 30_000);
    expect(seqs(readUncommitted)).toEqual([100, 101, 102, 103, 104, 0, 1, 2, 3, 4]);
    expect((await lastStableOffsets(admin, topic)).get(0)).toBe(10);
    expect(seqs(readCommitted)).toEqual([0, 1, 2]);

    await open.commit();
    const after = await lsoReaches(13);
    await readCommitted.waitForPositions(after, 30_000);
    expect(seqs(readCommitted)).toEqual([0, 1, 2, 3, 4]);
  });
});
