import type { Admin } from 'kafkajs';
import { retryKafkaRead } from './kafka.ts';

export interface PartitionLag {
  partition: number;
  /** Log-end offset (high watermark): the next offset a producer writes. */
  end: number;
  /** The group's committed offset: the next offset it will read; -1 = never committed. */
  committed: number;
  /** Messages written but not yet committed by the group. */
  lag: number;
}

/**
 * Lag per partition = end offset − committed offset. A partition the group never
 * committed counts from the log start (what auto.offset.reset=earliest reads from).
 */
export function computeLag(
  ends: { partition: number; high: string; low: string }[],
  committed: { partition: number; offset: string }[],
): PartitionLag[] {
  const byPartition = new Map(committed.map((c) => [c.partition, Number(c.offset)]));
  return ends
    .map(({ partition, high, low }) => {
      const end = Number(high);
      const done = byPartition.get(partition) ?? -1;
      const from = done >= 0 ? done : Number(low);
      return { partition, end, committed: done, lag: Math.max(0, end - from) };
    })
    .sort((a, b) => a.partition - b.partition);
}

export async function fetchLag(admin: Admin, groupId: string, topic: string) {
  const [ends, offsets] = await Promise.all([
    retryKafkaRead(() => admin.fetchTopicOffsets(topic)),
    retryKafkaRead(() => admin.fetchOffsets({ groupId, topics: [topic] })),
  ]);
  const partitions = computeLag(ends, offsets.find((t) => t.topic === topic)?.partitions ?? []);
  return { topic, partitions, total: partitions.reduce((sum, p) => sum + p.lag, 0) };
}

export type LagReport = Awaited<ReturnType<typeof fetchLag>>;
