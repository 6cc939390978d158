import { createDeadline, withinDeadline } from '@pocs/shared/deadline';
import type { Logger } from '@pocs/shared/log';
import { Counter, Gauge, type Registry } from '@pocs/shared/metrics';
import type { Admin } from 'kafkajs';
import { fetchGroupLag, type GroupLag, listGroups } from './lag.ts';

export interface LagSnapshot {
  fetchedAt: string;
  groups: GroupLag[];
}

export interface LagExporter {
  /** All matching groups; reused for cacheMs, and concurrent callers share one fetch. */
  snapshot: () => Promise<LagSnapshot>;
  /** One group, fetched now (the lag view and tests want the current numbers). */
  group: (groupId: string) => Promise<GroupLag>;
}

/**
 * Consumer-group lag as Prometheus gauges, computed from the broker on scrape (the
 * kafka_exporter / Burrow approach): committed offsets (OffsetFetch) against log end
 * offsets (ListOffsets). Nothing runs between scrapes.
 */
export function createLagExporter({
  admin,
  groupPattern,
  cacheMs,
  deadlineMs,
  registry,
  logger,
}: {
  admin: Admin;
  groupPattern: RegExp;
  cacheMs: number;
  /** Longest a caller waits for a fetch (DeadlineExceededError after); the fetch goes on. */
  deadlineMs: number;
  registry: Registry;
  logger: Logger;
}): LagExporter {
  let cached: { at: number; value: LagSnapshot } | undefined;
  let inFlight: Promise<LagSnapshot> | undefined;
  const scrapeDuration = new Gauge({
    name: 'kafka_lag_exporter_fetch_duration_seconds',
    help: 'Seconds the last lag fetch (list groups, committed and end offsets) took',
    registers: [registry],
  });
  const scrapeErrors = new Counter({
    name: 'kafka_lag_exporter_fetch_errors_total',
    help: 'Lag fetches that failed (broker unreachable, group or topic vanished mid-fetch)',
    registers: [registry],
  });

  async function fetchAll(): Promise<LagSnapshot> {
    const started = performance.now();
    try {
      const groups: GroupLag[] = [];
      for (const id of await listGroups(admin, groupPattern))
        groups.push(await fetchGroupLag(admin, id));
      return { fetchedAt: new Date().toISOString(), groups };
    } catch (err) {
      scrapeErrors.inc();
      logger.warn({ err }, 'lag fetch failed');
      throw err;
    } finally {
      scrapeDuration.set((performance.now() - started) / 1000);
    }
  }

  const within = <T>(what: string, work: () => Promise<T>) =>
    withinDeadline(createDeadline(deadlineMs), what, work);

  function snapshot(): Promise<LagSnapshot> {
    if (cached && Date.now() - cached.at < cacheMs) return Promise.resolve(cached.value);
    return within('fetching consumer-group lag', fetchShared);
  }

  function fetchShared(): Promise<LagSnapshot> {
    inFlight ??= fetchAll()
      .then((value) => {
        cached = { at: Date.now(), value };
        return value;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  const partitionLabels = ['group', 'topic', 'partition'] as const;
  // Gauges are reset and refilled on every scrape, so a deleted group or topic disappears.
  new Gauge({
    name: 'kafka_consumergroup_lag_messages',
    help: 'Messages in the partition the group has not committed yet (log end offset − committed offset)',
    labelNames: partitionLabels,
    registers: [registry],
    async collect() {
      this.reset();
      const snap = await snapshot().catch(() => undefined);
      for (const g of snap?.groups ?? [])
        for (const p of g.partitions)
          this.set(
            { group: g.group, topic: p.topic, partition: String(p.partition) },
            p.lagMessages,
          );
    },
  });
  new Gauge({
    name: 'kafka_consumergroup_lag_sum_messages',
    help: 'Messages the group has not committed yet, summed over all its partitions',
    labelNames: ['group'],
    registers: [registry],
    async collect() {
      this.reset();
      const snap = await snapshot().catch(() => undefined);
      for (const g of snap?.groups ?? []) this.set({ group: g.group }, g.totalLagMessages);
    },
  });
  new Gauge({
    name: 'kafka_consumergroup_committed_offset',
    help: 'Offset the group committed for the partition (the next message it will read); absent before its first commit',
    labelNames: partitionLabels,
    registers: [registry],
    async collect() {
      this.reset();
      const snap = await snapshot().catch(() => undefined);
      for (const g of snap?.groups ?? [])
        for (const p of g.partitions)
          if (p.committedOffset !== null)
            this.set(
              { group: g.group, topic: p.topic, partition: String(p.partition) },
              p.committedOffset,
            );
    },
  });
  new Gauge({
    name: 'kafka_topic_partition_end_offset',
    help: 'Log end offset (high watermark) of a partition some exported group reads',
    labelNames: ['topic', 'partition'],
    registers: [registry],
    async collect() {
      this.reset();
      const snap = await snapshot().catch(() => undefined);
      for (const g of snap?.groups ?? [])
        for (const p of g.partitions)
          this.set({ topic: p.topic, partition: String(p.partition) }, p.endOffset);
    },
  });

  return {
    snapshot,
    group: (groupId) =>
      within(`fetching the lag of ${groupId}`, () => fetchGroupLag(admin, groupId)),
  };
}
