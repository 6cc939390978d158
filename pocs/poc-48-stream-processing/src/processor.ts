import type { Logger } from '@pocs/shared/log';
import type { Registry } from '@pocs/shared/metrics';
import type { Admin, Kafka } from 'kafkajs';
import { createCommits } from './commits.ts';
import type { ProcessingGuarantee } from './config.ts';
import { createProcessorMetrics } from './processor-metrics.ts';
import { type RestoreStats, restoreFromChangelog } from './restore.ts';
import { takeMessage } from './take-message.ts';
import { createTaskClients } from './task-clients.ts';
import { createTaskState, type Snapshot } from './task-state.ts';
import type { WindowSpec } from './windows.ts';

export type { RestoreStats } from './restore.ts';

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

/**
 * The stateful stream task: count events per key per tumbling event-time window, emit each
 * window once it closes, and keep the counts recoverable.
 *
 * exactly_once_v2: every commit is one Kafka transaction holding the changelog updates,
 * the emitted results and the input offsets, so a restart finds state and offsets that
 * agree. at_least_once: the changelog is written as processing goes and the offsets are
 * committed later, so a crash in between replays events the changelog already counted.
 *
 * This file schedules; the pieces live beside it: task-state.ts (windows per partition,
 * snapshots), take-message.ts (one input message), commits.ts (how a snapshot reaches
 * Kafka), restore.ts (state from the changelog), task-clients.ts, processor-metrics.ts.
 */
export function createProcessor(o: ProcessorOptions) {
  const state = createTaskState({ spec: o.spec, changelog: o.changelog });
  const m = createProcessorMetrics(o.registry, state.openWindows);
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

  const eos = o.guarantee === 'exactly_once_v2' && o.changelog;
  const { producer, consumer } = createTaskClients({ ...o, transactional: eos });
  const commits = createCommits({
    ...o,
    producer,
    consumer,
    onWritten: (snap: Snapshot) => {
      stats.changelogRecordsWritten += snap.changelog.length;
      m.changelog.inc(snap.changelog.length);
      stats.windowsEmitted += snap.outputs.length;
      m.emitted.inc(snap.outputs.length);
    },
    onCommit: (kind) => {
      stats.commits++;
      m.commits.inc({ kind });
    },
  });

  // One commit at a time: the timer and the batch handler both go through here.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn);
    chain = next.catch(() => {});
    return next;
  };

  const fail = (err: unknown) => {
    if (stats.phase === 'failed') return;
    stats.phase = 'failed';
    o.logger.error({ err }, 'commit failed: state is ahead of Kafka, stopping the processor');
    o.onFatal(err);
  };

  let lastCommitAt = Date.now();
  /** Flush and/or commit if due (or forced). Runs serially; a failure is fatal. */
  const step = (force: boolean) =>
    serial(async () => {
      if (stats.phase === 'failed') throw new Error('processor failed earlier');
      const elapsed = Date.now() - lastCommitAt >= o.commitIntervalMs;
      // exactly_once_v2 also commits every COMMIT_MAX_EVENTS to bound a transaction;
      // at_least_once commits offsets on the interval only, like Kafka Streams.
      const due = force || elapsed || (eos && state.pendingEvents() >= o.commitMaxEvents);
      try {
        if (eos) {
          if (!due || (!state.hasChanges() && state.pendingEvents() === 0)) return;
          await commits.commitTransaction(state.snapshot());
        } else {
          if (state.hasChanges()) await commits.writeThrough(state.snapshot());
          if (!due) return;
          await commits.commitOffsets();
        }
        lastCommitAt = Date.now();
      } catch (err) {
        fail(err);
        throw err;
      }
    });

  let timer: NodeJS.Timeout | undefined;

  return {
    stats(): ProcessorStats {
      const all = state.all();
      return {
        phase: stats.phase,
        guarantee: o.guarantee,
        changelog: o.changelog,
        processed: all.reduce((n, s) => n + s.processed, 0),
        lateDropped: all.reduce((n, s) => n + s.lateDropped, 0),
        openWindows: state.openWindows(),
        processedHere: stats.processedHere,
        commits: stats.commits,
        changelogRecordsWritten: stats.changelogRecordsWritten,
        windowsEmitted: stats.windowsEmitted,
        poison: stats.poison,
        refetchedSkipped: stats.refetchedSkipped,
        restore: stats.restore,
        streamTime: Object.fromEntries([...state.partitions()].map(([p, s]) => [p, s.streamTime])),
      };
    },

    /** Open windows (counted so far, not yet emitted), optionally for one key. */
    windows: state.windows,

    async start() {
      // Connecting the transactional producer fences a crashed predecessor with the same
      // transactional id and aborts its open transaction before we read the changelog.
      await producer.connect();
      if (o.changelog) {
        stats.restore = await restoreFromChangelog({ ...o, state, metrics: m });
      } else o.logger.warn('BREAK_NO_CHANGELOG: window counts live in memory only');
      await consumer.connect();
      await consumer.subscribe({ topic: o.inputTopic, fromBeginning: true });
      stats.phase = 'running';
      // The commit interval counts from here, not from the restore or the group join.
      lastCommitAt = Date.now();
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          for (const message of batch.messages) {
            if (!isRunning() || isStale() || stats.phase !== 'running') break;
            const taken = takeMessage(state, o.spec, m, batch.partition, message);
            resolveOffset(message.offset);
            if (taken === 'refetched') {
              stats.refetchedSkipped++;
              continue;
            }
            if (taken === 'poison') stats.poison++;
            stats.processedHere++;
            if (state.pendingEvents() >= o.commitMaxEvents) await step(false);
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
