import { performance } from 'node:perf_hooks';
import type { StopSignal } from '../supervisor.ts';
import { type Run, startRun } from './run.ts';

export interface FailoverOptions {
  consumers: number;
  partitions: number;
  /** Messages produced at the start of each round (round-robin over partitions). */
  messagesPerRound: number;
  processMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  commitEveryMessages: number;
  signal: StopSignal;
  rounds: number;
  log?: (line: string) => void;
  /** Print lag per partition and the group state every second while a member is down. */
  watch?: boolean;
}

export interface FailoverRound {
  round: number;
  signal: StopSignal;
  sessionTimeoutMs: number;
  victim: number;
  victimPartitions: number[];
  /** Messages the victim had processed but not committed when the signal was sent. */
  uncommittedAtStop: number;
  /** From the signal until the broker showed the survivors owning every partition. */
  reassignedMs: number;
  /** From the signal until every partition's committed offset reached its end. */
  lagZeroMs: number;
  /** Sink redeliveries during the round (dropped by the dedup). */
  redelivered: number;
  /** Messages applied exactly once by the end of the round, over all rounds so far. */
  unique: number;
  produced: number;
}

/**
 * Per round: produce a backlog, wait until the oldest member is mid-work with uncommitted
 * messages, stop it with `signal`, and time reassignment and lag back to 0. Then start a
 * replacement and wait for a stable group before the next round.
 */
export async function runFailover(o: FailoverOptions): Promise<FailoverRound[]> {
  const log = o.log ?? (() => {});
  const run = await startRun({
    PARTITIONS: String(o.partitions),
    SESSION_TIMEOUT_MS: String(o.sessionTimeoutMs),
    HEARTBEAT_INTERVAL_MS: String(o.heartbeatIntervalMs),
    REBALANCE_TIMEOUT_MS: String(o.sessionTimeoutMs * 2),
    PROCESS_MS_PER_MESSAGE: String(o.processMs),
    COMMIT_EVERY_MESSAGES: String(o.commitEveryMessages),
    // Only the count threshold commits, so "uncommitted" at the signal is known.
    COMMIT_INTERVAL_MS: String(600_000),
  });
  const rounds: FailoverRound[] = [];
  try {
    const { supervisor, producer, dedup } = run.built;
    supervisor.start(o.consumers);
    await run.waitForCompleteAssignment(o.consumers, 60_000);
    let produced = 0;
    for (let round = 1; round <= o.rounds; round++) {
      const before = await dedup.counts();
      await producer.produce(o.messagesPerRound);
      produced += o.messagesPerRound;
      const victim = supervisor.live()[0];
      if (!victim) throw new Error('no live consumer to stop');
      const busy = await run.waitForConsumer(
        victim.id,
        (c) => c.uncommitted >= 3 && c.uncommitted <= o.commitEveryMessages / 2,
        `between 3 and ${o.commitEveryMessages / 2} uncommitted messages`,
      );
      const t0 = performance.now();
      const stopWatching = o.watch ? watchGroup(run, log, t0) : () => {};
      const stopping = supervisor.stop(victim.id, o.signal);
      await run.waitForCompleteAssignment(o.consumers - 1, o.sessionTimeoutMs * 3 + 30_000);
      const reassignedMs = Math.round(performance.now() - t0);
      await run.waitForZeroLag(60_000);
      const lagZeroMs = Math.round(performance.now() - t0);
      await stopping;
      stopWatching();
      const after = await dedup.counts();
      const r: FailoverRound = {
        round,
        signal: o.signal,
        sessionTimeoutMs: o.sessionTimeoutMs,
        victim: victim.id,
        victimPartitions: busy.partitions,
        uncommittedAtStop: busy.uncommitted,
        reassignedMs,
        lagZeroMs,
        redelivered: after.redelivered - before.redelivered,
        unique: after.unique,
        produced,
      };
      rounds.push(r);
      log(
        `  round ${round}: ${o.signal} consumer ${victim.id} (partitions ${busy.partitions.join(',')}, ${busy.uncommitted} uncommitted) → ` +
          `reassigned in ${(reassignedMs / 1000).toFixed(1)} s, lag 0 in ${(lagZeroMs / 1000).toFixed(1)} s, ${r.redelivered} redelivered`,
      );
      if (round < o.rounds) {
        supervisor.start(1);
        await run.waitForCompleteAssignment(o.consumers, 60_000);
      }
    }
    return rounds;
  } finally {
    await run.close();
  }
}

/** A live view of the group while it heals: one line per second. */
function watchGroup(run: Run, log: (line: string) => void, t0: number): () => void {
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const [lag, a] = await Promise.all([run.built.lagNow(), run.built.assignmentsNow()]);
      const t = ((performance.now() - t0) / 1000).toFixed(1).padStart(5);
      const perPartition = lag.partitions.map((p) => String(p.lag).padStart(4)).join('');
      log(
        `    t=${t}s  lag/partition [${perPartition} ] total ${String(lag.total).padStart(4)}  ` +
          `group ${a.state} (${a.members.length} members, ${a.unassigned.length} unowned)`,
      );
    } catch {
      // A scrape during a rebalance can fail; the next one will tell.
    } finally {
      busy = false;
    }
  }, 1_000);
  return () => clearInterval(timer);
}
