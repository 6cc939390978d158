import { performance } from 'node:perf_hooks';
import { sleep } from '@pocs/shared/wait';
import { startRun } from './run.ts';

export interface SlowConsumerOptions {
  /** BREAK_BLOCKING_BATCH: whole batch without heartbeat or commit. */
  blocking: boolean;
  consumers: number;
  partitions: number;
  messages: number;
  processMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Stop watching after this long even if the backlog is not drained. */
  observeMs: number;
  tickMs?: number;
  onTick?: (tick: Tick) => void;
  /** Stop watching as soon as this holds (tests stop once the storm is proven). */
  stopWhen?: (tick: Tick) => boolean;
}

export interface Tick {
  tSec: number;
  lag: number;
  /** GROUP_JOIN events since the group was first stable: 0 means no rebalance. */
  joins: number;
  unique: number;
  redelivered: number;
}

export interface SlowConsumerResult {
  mode: 'blocking batch (broken)' | 'heartbeat + commit per message (fixed)';
  options: Omit<SlowConsumerOptions, 'onTick' | 'stopWhen'>;
  /** Seconds from the first produce until lag was 0 and every message applied; null = never within observeMs. */
  drainedSec: number | null;
  joinsAfterStable: number;
  rebalanceNoticesAfterStable: number;
  unique: number;
  redelivered: number;
  finalLag: number;
  timeline: Tick[];
}

/**
 * One consumer group on its own topic: wait until it is stable, produce a backlog, and
 * watch lag, rebalances (joins after the group was stable) and sink redeliveries.
 */
export async function runSlowConsumer(o: SlowConsumerOptions): Promise<SlowConsumerResult> {
  const { onTick, stopWhen, ...options } = o;
  const tickMs = o.tickMs ?? 500;
  const run = await startRun({
    PARTITIONS: String(o.partitions),
    SESSION_TIMEOUT_MS: String(o.sessionTimeoutMs),
    HEARTBEAT_INTERVAL_MS: String(o.heartbeatIntervalMs),
    REBALANCE_TIMEOUT_MS: String(o.sessionTimeoutMs * 2),
    PROCESS_MS_PER_MESSAGE: String(o.processMs),
    BREAK_BLOCKING_BATCH: o.blocking ? '1' : '0',
  });
  try {
    const { supervisor, producer, dedup } = run.built;
    supervisor.start(o.consumers);
    await run.waitForCompleteAssignment(o.consumers);
    const before = supervisor.totals();
    await producer.produce(o.messages);
    const started = performance.now();
    const timeline: Tick[] = [];
    let drainedSec: number | null = null;
    for (;;) {
      const elapsed = performance.now() - started;
      const [lag, sink] = await Promise.all([run.built.lagNow(), dedup.counts()]);
      const totals = supervisor.totals();
      const tick = {
        tSec: Math.round(elapsed / 100) / 10,
        lag: lag.total,
        joins: totals.joins - before.joins,
        unique: sink.unique,
        redelivered: sink.redelivered,
      };
      timeline.push(tick);
      onTick?.(tick);
      if (lag.total === 0 && sink.unique === o.messages) {
        drainedSec = tick.tSec;
        break;
      }
      if (elapsed >= o.observeMs || stopWhen?.(tick)) break;
      await sleep(tickMs);
    }
    const after = supervisor.totals();
    const sink = await dedup.counts();
    return {
      mode: o.blocking ? 'blocking batch (broken)' : 'heartbeat + commit per message (fixed)',
      options,
      drainedSec,
      joinsAfterStable: after.joins - before.joins,
      rebalanceNoticesAfterStable: after.rebalances - before.rebalances,
      unique: sink.unique,
      redelivered: sink.redelivered,
      finalLag: timeline.at(-1)?.lag ?? -1,
      timeline,
    };
  } finally {
    // A blocked member would finish its batch before it could leave; don't wait for it.
    await run.close({ signal: o.blocking ? 'SIGKILL' : 'SIGTERM' });
  }
}
