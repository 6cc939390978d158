import type { Logger } from '@pocs/shared/log';
import type { Admin, Kafka } from 'kafkajs';
import { createRestorer } from './changelog.ts';
import { committedOffsets } from './kafka.ts';
import type { ProcessorMetrics } from './processor-metrics.ts';
import { readToEnd } from './read-to-end.ts';
import type { TaskState } from './task-state.ts';

export interface RestoreStats {
  durationMs: number;
  records: number;
  windows: number;
  /**
   * Per partition: events the restored changelog covers minus the committed input offset.
   * > 0 means those events will be processed (counted) a second time.
   */
  changelogAheadOfOffsets: Record<number, number>;
}

/**
 * Rebuild the task state from the changelog topic (read to its end), then compare what
 * it covers with the committed input offsets: a changelog ahead of them means events
 * counted twice.
 */
export async function restoreFromChangelog(o: {
  kafka: Kafka;
  admin: Admin;
  changelogTopic: string;
  inputTopic: string;
  applicationId: string;
  state: TaskState;
  metrics: ProcessorMetrics;
  logger: Logger;
}): Promise<RestoreStats> {
  const started = performance.now();
  const restorer = createRestorer();
  const read = await readToEnd({
    kafka: o.kafka,
    admin: o.admin,
    topic: o.changelogTopic,
    groupPrefix: o.applicationId,
    onMessage: (partition, message) => restorer.apply(partition, message),
  });
  const committed = await committedOffsets(o.admin, o.applicationId, o.inputTopic);
  const ahead: Record<number, number> = {};
  let windows = 0;
  for (const [partition, r] of restorer.partitions) {
    o.state.restored(partition, r.state);
    windows += r.state.windows.size;
    const c = Math.max(0, committed.get(partition) ?? 0);
    ahead[partition] = (r.nextOffset ?? 0) - c;
  }
  const durationMs = Math.round(performance.now() - started);
  const stats = { durationMs, records: read.records, windows, changelogAheadOfOffsets: ahead };
  o.metrics.restoreSeconds.set(durationMs / 1000);
  o.metrics.restoreRecords.set(read.records);
  const doubled = Object.values(ahead).reduce((a, b) => a + Math.max(0, b), 0);
  o.logger[doubled > 0 ? 'warn' : 'info'](
    { ...stats, doubled },
    doubled > 0
      ? `restored state covers ${doubled} events past the committed offsets: they will be counted again`
      : 'state restored from the changelog',
  );
  return stats;
}
