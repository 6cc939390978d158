import type { KafkaMessage } from 'kafkajs';
import { emptyPartitionState, type PartitionState, type WindowCount } from './windows.ts';

/**
 * The changelog topic mirrors the state store: one record per changed key, latest value
 * wins, so `cleanup.policy=compact` keeps it as small as the state itself. Partition p of
 * the changelog holds the state of input partition p (as in Kafka Streams).
 *
 *   key `w|<key>|<windowStart>` → {count, lastOffset}   (null = tombstone: window emitted)
 *   key `meta`                  → {streamTime, processed, lateDropped, nextOffset}
 */
export const META_KEY = 'meta';
const WINDOW_PREFIX = 'w|';

export interface PartitionMeta {
  streamTime: number;
  processed: number;
  lateDropped: number;
  /** The input offset the next event will have: the changelog covers everything before it. */
  nextOffset: number;
}

export interface ChangelogRecord {
  key: string;
  value: string | null;
}

export const windowRecord = (id: string, w: WindowCount | null): ChangelogRecord => ({
  key: `${WINDOW_PREFIX}${id}`,
  value: w ? JSON.stringify({ count: w.count, lastOffset: w.lastOffset }) : null,
});

export const metaRecord = (state: PartitionState, nextOffset: number): ChangelogRecord => ({
  key: META_KEY,
  value: JSON.stringify({
    streamTime: state.streamTime,
    processed: state.processed,
    lateDropped: state.lateDropped,
    nextOffset,
  } satisfies PartitionMeta),
});

export interface RestoredPartition {
  state: PartitionState;
  /** From the meta record; undefined if the partition never committed anything. */
  nextOffset?: number;
}

/** Rebuild per-partition state by replaying changelog records in offset order. */
export function createRestorer() {
  const partitions = new Map<number, RestoredPartition>();
  const get = (p: number) => {
    let r = partitions.get(p);
    if (!r) {
      r = { state: emptyPartitionState() };
      partitions.set(p, r);
    }
    return r;
  };
  return {
    partitions,
    apply(partition: number, message: Pick<KafkaMessage, 'key' | 'value'>) {
      const key = message.key?.toString() ?? '';
      const r = get(partition);
      if (key === META_KEY) {
        if (!message.value) return;
        const meta = JSON.parse(message.value.toString()) as PartitionMeta;
        r.state.streamTime = meta.streamTime;
        r.state.processed = meta.processed;
        r.state.lateDropped = meta.lateDropped;
        r.nextOffset = meta.nextOffset;
        return;
      }
      if (!key.startsWith(WINDOW_PREFIX)) return;
      const id = key.slice(WINDOW_PREFIX.length);
      if (!message.value) {
        r.state.windows.delete(id);
        return;
      }
      const sep = id.lastIndexOf('|');
      const v = JSON.parse(message.value.toString()) as { count: number; lastOffset: string };
      r.state.windows.set(id, {
        key: id.slice(0, sep),
        windowStart: Number(id.slice(sep + 1)),
        count: v.count,
        lastOffset: v.lastOffset,
      });
    },
  };
}
