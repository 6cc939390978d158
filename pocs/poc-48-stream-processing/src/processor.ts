import { exponentialDelay } from '@pocs/shared/backoff';
import type { Logger } from '@pocs/shared/log';
import type { Registry } from '@pocs/shared/metrics';
import type { Admin, Kafka } from 'kafkajs';
import type { ProcessingGuarantee } from './config.ts';
import { createProcessorMetrics } from './processor-metrics.ts';
import type { RestoreStats } from './restore.ts';
import { createTask, type Task } from './task.ts';
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
  /** Longest one commit may take; past it the task is thrown away and restored. */
  commitDeadlineMs: number;
  /** The transactional producer's transaction.timeout.ms (above commitDeadlineMs). */
  transactionTimeoutMs: number;
  /** Delay before restarting a failed task: base · 2^attempt, capped. */
  restartBackoff: { baseMs: number; capMs: number };
  sessionTimeoutMs?: number;
  fetchMaxBytesPerPartition?: number;
  registry: Registry;
  logger: Logger;
}

export interface ProcessorStats {
  /** restoring → running; recovering (after a failure, until the fresh task runs); stopped. */
  phase: 'restoring' | 'running' | 'recovering' | 'stopped';
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
  /** Tasks thrown away after a failure and started again from the changelog. */
  restarts: number;
  /** Why the last task failed (null: none failed). */
  lastFailure: string | null;
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
 * A failed or overdue commit, or a consumer crash, leaves memory ahead of Kafka: the task
 * is thrown away and a fresh one fences, restores from the changelog and rejoins, after
 * a capped exponential backoff, for as long as it takes. The process keeps running and
 * `phase` says the truth in the meantime (recovering, restoring).
 *
 * This file supervises; the pieces live beside it: task.ts (one life of the task),
 * task-state.ts (windows per partition, snapshots), take-message.ts (one input message),
 * commits.ts (how a snapshot reaches Kafka), restore.ts (state from the changelog),
 * task-clients.ts, processor-metrics.ts.
 */
export function createProcessor(o: ProcessorOptions) {
  let task: Task | undefined;
  const m = createProcessorMetrics(o.registry, () => task?.state.openWindows() ?? 0);
  const eos = o.guarantee === 'exactly_once_v2' && o.changelog;
  const counters = {
    processedHere: 0,
    commits: 0,
    changelogRecordsWritten: 0,
    windowsEmitted: 0,
    poison: 0,
    refetchedSkipped: 0,
  };
  let phase: ProcessorStats['phase'] = 'restoring';
  let restore: RestoreStats | null = null;
  let restarts = 0;
  let lastFailure: string | null = null;
  let stopping = false;
  /** Failures since the last task that reached running: the backoff exponent. */
  let attempt = 0;
  let wake: (() => void) | undefined;

  /** Start a fresh task. A failure of the first start is thrown (start-up fails fast). */
  const launch = async (first: boolean): Promise<void> => {
    const t: Task = createTask({
      ...o,
      eos,
      metrics: m,
      counters,
      onFailure: (err) => {
        if (task === t) restart(err);
      },
    });
    task = t;
    phase = 'restoring';
    try {
      const restored = await t.start();
      if (task !== t) return;
      restore = restored;
      phase = 'running';
      attempt = 0;
    } catch (err) {
      // A task that failed while starting and already reported it is not current any more.
      if (task !== t) return;
      if (first) {
        task = undefined;
        await t.close({ clean: false });
        throw err;
      }
      restart(err);
    }
  };

  const restart = (err: unknown) => {
    if (stopping) return;
    const failed = task;
    task = undefined;
    phase = 'recovering';
    restarts++;
    m.restarts.inc();
    lastFailure = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const delayMs = exponentialDelay(attempt++, o.restartBackoff);
    o.logger.warn(
      { err, delayMs, restarts },
      'stream task failed: state may be ahead of Kafka, restoring a fresh task from the changelog',
    );
    void (async () => {
      await failed?.close({ clean: false });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (!stopping) await launch(false);
    })();
  };

  return {
    stats(): ProcessorStats {
      const all = task?.state.all() ?? [];
      return {
        phase,
        guarantee: o.guarantee,
        changelog: o.changelog,
        processed: all.reduce((n, s) => n + s.processed, 0),
        lateDropped: all.reduce((n, s) => n + s.lateDropped, 0),
        openWindows: task?.state.openWindows() ?? 0,
        ...counters,
        restarts,
        lastFailure,
        restore,
        streamTime: Object.fromEntries(
          [...(task?.state.partitions() ?? [])].map(([p, s]) => [p, s.streamTime]),
        ),
      };
    },

    /** Open windows (counted so far, not yet emitted), optionally for one key. */
    windows: (key?: string) => task?.state.windows(key) ?? [],

    /** The first start: a failure here is the caller's (start-up fails fast). */
    async start() {
      await launch(true);
    },

    /** Clean stop: stop fetching, commit what was processed, leave the group. */
    async stop() {
      stopping = true;
      wake?.();
      const t = task;
      task = undefined;
      await t?.close({ clean: phase === 'running' });
      phase = 'stopped';
    },
  };
}

export type Processor = ReturnType<typeof createProcessor>;
