import type { Consumer, Producer } from 'kafkajs';
import type { Snapshot } from './task-state.ts';

/**
 * The two ways a snapshot reaches Kafka.
 *
 * exactly_once_v2 (`commitTransaction`): changelog records, results and input offsets in
 * one transaction, so a restart finds state and offsets that agree.
 * at_least_once and BREAK_NO_CHANGELOG (`writeThrough`, then `commitOffsets` when due):
 * records are written as processing goes and offsets committed later, so a crash in
 * between replays events the changelog already counted.
 */
export function createCommits(o: {
  producer: Producer;
  consumer: Consumer;
  inputTopic: string;
  changelogTopic: string;
  outputTopic: string;
  applicationId: string;
  /** A snapshot's records are in Kafka. */
  onWritten: (snap: Snapshot) => void;
  /** One commit done. */
  onCommit: (kind: 'transaction' | 'offsets') => void;
}) {
  /** Offsets whose state (and results) Kafka already holds, committed on the next commit. */
  let durableOffsets: Snapshot['offsets'] = [];

  const changelogMessages = (snap: Snapshot) =>
    snap.changelog.map(({ partition, record }) => ({
      key: record.key,
      value: record.value,
      partition,
    }));

  return {
    async commitTransaction(snap: Snapshot) {
      const txn = await o.producer.transaction();
      try {
        if (snap.changelog.length > 0) {
          await txn.send({ topic: o.changelogTopic, acks: -1, messages: changelogMessages(snap) });
        }
        if (snap.outputs.length > 0) {
          await txn.send({
            topic: o.outputTopic,
            acks: -1,
            messages: snap.outputs.map((x) => x.message),
          });
        }
        await txn.sendOffsets({
          consumerGroupId: o.applicationId,
          topics: [{ topic: o.inputTopic, partitions: snap.offsets }],
        });
        await txn.commit();
      } catch (err) {
        await txn.abort().catch(() => {});
        throw err;
      }
      o.onWritten(snap);
      o.onCommit('transaction');
    },

    /** Write now; the snapshot's offsets are committed by the next commitOffsets(). */
    async writeThrough(snap: Snapshot) {
      const topicMessages = [];
      if (snap.changelog.length > 0) {
        topicMessages.push({ topic: o.changelogTopic, messages: changelogMessages(snap) });
      }
      if (snap.outputs.length > 0) {
        topicMessages.push({ topic: o.outputTopic, messages: snap.outputs.map((x) => x.message) });
      }
      if (topicMessages.length > 0) await o.producer.sendBatch({ acks: -1, topicMessages });
      o.onWritten(snap);
      const merged = new Map(durableOffsets.map((x) => [x.partition, x.offset]));
      for (const x of snap.offsets) merged.set(x.partition, x.offset);
      durableOffsets = [...merged].map(([partition, offset]) => ({ partition, offset }));
    },

    async commitOffsets() {
      if (durableOffsets.length === 0) return;
      const offsets = durableOffsets;
      durableOffsets = [];
      await o.consumer.commitOffsets(offsets.map((x) => ({ topic: o.inputTopic, ...x })));
      o.onCommit('offsets');
    },
  };
}
