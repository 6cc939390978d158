import type { Logger } from '@pocs/shared/log';
import { Counter, Gauge, type Registry } from '@pocs/shared/metrics';
import type { Admin, Consumer, Kafka, Message, Producer } from 'kafkajs';
import { type ChangelogRecord, createRestorer, metaRecord, windowRecord } from './changelog.ts';
import type { ProcessingGuarantee } from './config.ts';
import { parseEvent } from './events.ts';
import { committedOffsets } from './kafka.ts';
import { readToEnd } from './read-to-end.ts';
import {
  applyEvent,
  closeWindows,
  emptyPartitionState,
  type PartitionState,
  type WindowCount,
  type WindowSpec,
  windowKey,
} from './windows.ts';

export interface ProcessorOptions {
  kafka: Kafka;
  admin: Admin;
  inputTopic: string;
  changelogTopic: string;
  outputTopic: string;
  /** Consumer group id and transactional id prefix, like Kafka Streams' application.id. */
  applicationId: string;
  spec: WindowSpec;
  guarantee: ProcessingGuarantee;
  /** false = BREAK_NO_CHANGELOG: state lives in memory only. */
  changelog: boolean;
  commitIntervalMs: number;
  commitMaxEvents: number;
  sessionTimeoutMs?: number;
  fetchMaxBytesPerPartition?: number;
  registry: Registry;
  logger: Logger;
  /** Called once when a commit failed: the in-memory state is now ahead of Kafka, so stop. */
  onFatal: (err: unknown) => void;
}

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

export interface ProcessorStats {
  phase: 'restoring' | 'running' | 'stopped' | 'failed';
  guarantee: ProcessingGuarantee;
  changelog: boolean;
  /** Over the processor's whole history (restored from the changelog, then this process). */
  processed: number;
  lateDropped: number;
  openWindows: number;
  /** This process only. */
  processedHere: number;
  commits: number;
  changelogRecordsWritten: number;
  windowsEmitted: number;
  poison: number;
  /** Offsets kafkajs delivered again within this process, skipped. */
  refetchedSkipped: number;
  restore: RestoreStats | null;
  streamTime: Record<number, number>;
}

interface Snapshot {
  changelog: { partition: number; record: ChangelogRecord }[];
  outputs: { partition: number; message: Message }[];
  offsets: { partition: number; offset: string }[];
  events: number;
}

/**
 * The stateful stream task: count events per key per tumbling event-time window, emit each
 * window once it closes, and keep the counts recoverable.
 *
 * exactly_once_v2: every commit is one Kafka transaction holding the changelog updates,
 * the emitted results and the input offsets, so a restart finds state and offsets that
 * agree. at_least_once: the changelog is written as processing goes and the offsets are
 * committed later, so a crash in between replays events the changelog already counted.
 */
export function createProcessor(o: ProcessorOptions) {
  const states = new Map<number, PartitionState>();
  const stateOf = (p: number) => {
    let s = states.get(p);
    if (!s) {
      s = emptyPartitionState();
      states.set(p, s);
    }
    return s;
  };
  const dirty = new Map<number, Set<string>>();
  /** Partitions with uncommitted events, and the windows they changed. */
  const touched = (partition: number) => {
    let ids = dirty.get(partition);
    if (!ids) {
      ids = new Set();
      dirty.set(partition, ids);
    }
    return ids;
  };
  const nextOffsets = new Map<number, string>();
  let pendingEvents = 0;
  let lastCommitAt = Date.now();
  /** Offsets whose state (and results) Kafka already holds, committed on the next commit. */
  let durableOffsets: Snapshot['offsets'] = [];
  const stats = {
    phase: 'restoring' as ProcessorStats['phase'],
    processedHere: 0,
    commits: 0,
    changelogRecordsWritten: 0,
    windowsEmitted: 0,
    poison: 0,
    refetchedSkipped: 0,
    restore: null as RestoreStats | null,
  };

  const m = {
    processed: new Counter({
      name: 'poc48_events_processed_total',
      help: 'Input events taken by this process, by outcome (counted, late_dropped, poison)',
      labelNames: ['outcome'],
      registers: [o.registry],
    }),
    changelog: new Counter({
      name: 'poc48_changelog_records_written_total',
      help: 'Records written to the changelog topic (updates, tombstones, partition meta)',
      registers: [o.registry],
    }),
    emitted: new Counter({
      name: 'poc48_windows_emitted_total',
      help: 'Final window results written to the output topic',
      registers: [o.registry],
    }),
    commits: new Counter({
      name: 'poc48_commits_total',
      help: 'Commits, by kind (transaction, offsets)',
      labelNames: ['kind'],
      registers: [o.registry],
    }),
    restoreSeconds: new Gauge({
      name: 'poc48_restore_duration_seconds',
      help: 'Time the last start spent restoring state from the changelog, in seconds',
      registers: [o.registry],
    }),
    restoreRecords: new Gauge({
      name: 'poc48_restore_records',
      help: 'Changelog records read by the last restore',
      registers: [o.registry],
    }),
  };
  new Gauge({
    name: 'poc48_open_windows',
    help: 'Windows held in state (not yet closed and emitted)',
    registers: [o.registry],
    collect() {
      this.set([...states.values()].reduce((n, s) => n + s.windows.size, 0));
    },
  });

  const eos = o.guarantee === 'exactly_once_v2' && o.changelog;
  const producer: Producer = o.kafka.producer(
    eos
      ? {
          transactionalId: `${o.applicationId}-task-producer`,
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
        }
      : { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false },
  );
  const consumer: Consumer = o.kafka.consumer({
    groupId: o.applicationId,
    readUncommitted: false,
    sessionTimeout: o.sessionTimeoutMs ?? 10_000,
    heartbeatInterval: Math.min(3_000, Math.floor((o.sessionTimeoutMs ?? 10_000) / 3)),
    allowAutoTopicCreation: false,
    // A stop waits for the fetch in flight: keep long polls short.
    maxWaitTimeInMs: 500,
    maxBytesPerPartition: o.fetchMaxBytesPerPartition ?? 1_048_576,
  });

  // One commit at a time: the timer and the batch handler both go through here.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn);
    chain = next.catch(() => {});
    return next;
  };

  /** Taken synchronously: values are serialised now, so later events cannot leak in. */
  const snapshot = (): Snapshot => {
    const snap: Snapshot = { changelog: [], outputs: [], offsets: [], events: pendingEvents };
    for (const [partition, ids] of dirty) {
      const state = stateOf(partition);
      for (const w of closeWindows(state, o.spec)) {
        const id = windowKey(w.key, w.windowStart);
        ids.add(id);
        snap.outputs.push({
          partition,
          message: { key: id, value: JSON.stringify(w), partition },
        });
      }
      const offset = nextOffsets.get(partition);
      if (offset !== undefined) snap.offsets.push({ partition, offset });
      if (!o.changelog) continue;
      for (const id of ids) {
        snap.changelog.push({ partition, record: windowRecord(id, state.windows.get(id) ?? null) });
      }
      snap.changelog.push({ partition, record: metaRecord(state, Number(offset ?? 0)) });
    }
    dirty.clear();
    pendingEvents = 0;
    return snap;
  };

  const changelogMessages = (snap: Snapshot) =>
    snap.changelog.map(({ partition, record }) => ({
      key: record.key,
      value: record.value,
      partition,
    }));

  const counted = (snap: Snapshot) => {
    stats.changelogRecordsWritten += snap.changelog.length;
    m.changelog.inc(snap.changelog.length);
    stats.windowsEmitted += snap.outputs.length;
    m.emitted.inc(snap.outputs.length);
  };

  const commitTransaction = async (snap: Snapshot) => {
    const txn = await producer.transaction();
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
    counted(snap);
    stats.commits++;
    m.commits.inc({ kind: 'transaction' });
  };

  /** at_least_once and BREAK_NO_CHANGELOG: write now, commit offsets when due. */
  const writeThrough = async (snap: Snapshot) => {
    const topicMessages = [];
    if (snap.changelog.length > 0) {
      topicMessages.push({ topic: o.changelogTopic, messages: changelogMessages(snap) });
    }
    if (snap.outputs.length > 0) {
      topicMessages.push({ topic: o.outputTopic, messages: snap.outputs.map((x) => x.message) });
    }
    if (topicMessages.length > 0) await producer.sendBatch({ acks: -1, topicMessages });
    counted(snap);
    const merged = new Map(durableOffsets.map((x) => [x.partition, x.offset]));
    for (const x of snap.offsets) merged.set(x.partition, x.offset);
    durableOffsets = [...merged].map(([partition, offset]) => ({ partition, offset }));
  };

  const commitOffsets = async () => {
    if (durableOffsets.length === 0) return;
    const offsets = durableOffsets;
    durableOffsets = [];
    await consumer.commitOffsets(offsets.map((x) => ({ topic: o.inputTopic, ...x })));
    stats.commits++;
    m.commits.inc({ kind: 'offsets' });
  };

  const fail = (err: unknown) => {
    if (stats.phase === 'failed') return;
    stats.phase = 'failed';
    o.logger.error({ err }, 'commit failed: state is ahead of Kafka, stopping the processor');
    o.onFatal(err);
  };

  /** Flush and/or commit if due (or forced). Runs serially; a failure is fatal. */
  const step = (force: boolean) =>
    serial(async () => {
      if (stats.phase === 'failed') throw new Error('processor failed earlier');
      const elapsed = Date.now() - lastCommitAt >= o.commitIntervalMs;
      // exactly_once_v2 also commits every COMMIT_MAX_EVENTS to bound a transaction;
      // at_least_once commits offsets on the interval only, like Kafka Streams.
      const due = force || elapsed || (eos && pendingEvents >= o.commitMaxEvents);
      try {
        if (eos) {
          if (!due || (dirty.size === 0 && pendingEvents === 0)) return;
          await commitTransaction(snapshot());
        } else {
          if (dirty.size > 0) await writeThrough(snapshot());
          if (!due) return;
          await commitOffsets();
        }
        lastCommitAt = Date.now();
      } catch (err) {
        fail(err);
        throw err;
      }
    });

  const restore = async () => {
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
      states.set(partition, r.state);
      windows += r.state.windows.size;
      const c = Math.max(0, committed.get(partition) ?? 0);
      ahead[partition] = (r.nextOffset ?? 0) - c;
    }
    const durationMs = Math.round(performance.now() - started);
    stats.restore = { durationMs, records: read.records, windows, changelogAheadOfOffsets: ahead };
    m.restoreSeconds.set(durationMs / 1000);
    m.restoreRecords.set(read.records);
    const doubled = Object.values(ahead).reduce((a, b) => a + Math.max(0, b), 0);
    o.logger[doubled > 0 ? 'warn' : 'info'](
      { ...stats.restore, doubled },
      doubled > 0
        ? `restored state covers ${doubled} events past the committed offsets: they will be counted again`
        : 'state restored from the changelog',
    );
  };

  let timer: NodeJS.Timeout | undefined;

  return {
    stats(): ProcessorStats {
      const all = [...states.values()];
      return {
        phase: stats.phase,
        guarantee: o.guarantee,
        changelog: o.changelog,
        processed: all.reduce((n, s) => n + s.processed, 0),
        lateDropped: all.reduce((n, s) => n + s.lateDropped, 0),
        openWindows: all.reduce((n, s) => n + s.windows.size, 0),
        processedHere: stats.processedHere,
        commits: stats.commits,
        changelogRecordsWritten: stats.changelogRecordsWritten,
        windowsEmitted: stats.windowsEmitted,
        poison: stats.poison,
        refetchedSkipped: stats.refetchedSkipped,
        restore: stats.restore,
        streamTime: Object.fromEntries([...states].map(([p, s]) => [p, s.streamTime])),
      };
    },

    /** Open windows (counted so far, not yet emitted), optionally for one key. */
    windows(key?: string): (WindowCount & { windowEnd: number; partition: number })[] {
      const out = [];
      for (const [partition, s] of states) {
        for (const w of s.windows.values()) {
          if (key === undefined || w.key === key)
            out.push({ ...w, windowEnd: w.windowStart + o.spec.sizeMs, partition });
        }
      }
      return out.sort((a, b) => a.windowStart - b.windowStart || a.key.localeCompare(b.key));
    },

    async start() {
      // Connecting the transactional producer fences a crashed predecessor with the same
      // transactional id and aborts its open transaction before we read the changelog.
      await producer.connect();
      if (o.changelog) await restore();
      else o.logger.warn('BREAK_NO_CHANGELOG: window counts live in memory only');
      await consumer.connect();
      await consumer.subscribe({ topic: o.inputTopic, fromBeginning: true });
      stats.phase = 'running';
      // The commit interval counts from here, not from the restore or the group join.
      lastCommitAt = Date.now();
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          const partition = batch.partition;
          const state = stateOf(partition);
          for (const message of batch.messages) {
            if (!isRunning() || isStale() || stats.phase !== 'running') break;
            // kafkajs can hand out a batch again that this process already took (several
            // fetches in flight across brokers with small fetch sizes): never count an offset twice.
            const taken = nextOffsets.get(partition);
            if (taken !== undefined && Number(message.offset) < Number(taken)) {
              stats.refetchedSkipped++;
              resolveOffset(message.offset);
              continue;
            }
            const event = parseEvent(message.value);
            if (event) {
              const applied = applyEvent(state, event, message.offset, o.spec);
              m.processed.inc({ outcome: applied.outcome === 'late' ? 'late_dropped' : 'counted' });
              if (applied.outcome === 'counted') {
                touched(partition).add(windowKey(applied.window.key, applied.window.windowStart));
              } else touched(partition);
            } else {
              stats.poison++;
              m.processed.inc({ outcome: 'poison' });
              touched(partition);
            }
            stats.processedHere++;
            pendingEvents++;
            nextOffsets.set(partition, String(Number(message.offset) + 1));
            resolveOffset(message.offset);
            if (pendingEvents >= o.commitMaxEvents) await step(false);
          }
          await step(false);
          await heartbeat();
        },
      });
      timer = setInterval(() => {
        if (stats.phase === 'running') step(false).catch(() => {});
      }, o.commitIntervalMs);
    },

    /** Clean stop: stop fetching, commit what was processed, leave the group. */
    async stop() {
      clearInterval(timer);
      if (stats.phase === 'running') {
        consumer.pause([{ topic: o.inputTopic }]);
        await step(true).catch(() => {});
        stats.phase = 'stopped';
      }
      await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
    },
  };
}

export type Processor = ReturnType<typeof createProcessor>;
