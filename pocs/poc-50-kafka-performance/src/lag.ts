import type { Admin } from 'kafkajs';

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  /** The group's committed offset (next message it will read); null when it never committed. */
  committedOffset: number | null;
  /** Log start offset: the oldest message still on the broker. */
  startOffset: number;
  /** Log end offset (high watermark): the offset the next produced message gets. */
  endOffset: number;
  /** Messages on the broker the group has not committed yet. */
  lagMessages: number;
}

export interface GroupLag {
  group: string;
  totalLagMessages: number;
  partitions: PartitionLag[];
}

/**
 * Lag of one partition: end − committed. A group that never committed starts from the
 * earliest message (auto.offset.reset=earliest), so everything still retained counts;
 * a commit behind the log start (retention deleted it) counts only what is left.
 */
export function partitionLagMessages({
  committedOffset,
  startOffset,
  endOffset,
}: Pick<PartitionLag, 'committedOffset' | 'startOffset' | 'endOffset'>): number {
  const from = committedOffset === null ? startOffset : Math.max(committedOffset, startOffset);
  return Math.max(0, endOffset - from);
}

/** Lag of every partition a group has committed offsets for (admin API: OffsetFetch + ListOffsets). */
export async function fetchGroupLag(admin: Admin, group: string): Promise<GroupLag> {
  const committed = await admin.fetchOffsets({ groupId: group });
  const partitions: PartitionLag[] = [];
  for (const { topic, partitions: committedPartitions } of committed) {
    // A group may still hold offsets of a topic that was deleted since: skip it.
    const ends = await admin.fetchTopicOffsets(topic).catch(() => undefined);
    if (!ends) continue;
    const endByPartition = new Map(ends.map((e) => [e.partition, e]));
    for (const { partition, offset } of committedPartitions) {
      const end = endByPartition.get(partition);
      if (!end) continue;
      const committedOffset = Number(offset) >= 0 ? Number(offset) : null;
      const row = {
        group,
        topic,
        partition,
        committedOffset,
        startOffset: Number(end.low),
        endOffset: Number(end.high),
      };
      partitions.push({ ...row, lagMessages: partitionLagMessages(row) });
    }
  }
  partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return {
    group,
    totalLagMessages: partitions.reduce((sum, p) => sum + p.lagMessages, 0),
    partitions,
  };
}

/** Every consumer group the broker knows whose id matches the pattern, sorted. */
export async function listGroups(admin: Admin, pattern: RegExp): Promise<string[]> {
  const { groups } = await admin.listGroups();
  return groups
    .map((g) => g.groupId)
    .filter((id) => pattern.test(id))
    .sort();
}
