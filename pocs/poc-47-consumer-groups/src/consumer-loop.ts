import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { Config } from './config.ts';
import type { DedupStore, Outcome } from './dedup.ts';
import { computeOrder } from './process-message.ts';

type LoopConfig = Pick<
  Config,
  | 'BREAK_BLOCKING_BATCH'
  | 'COMMIT_EVERY_MESSAGES'
  | 'COMMIT_INTERVAL_MS'
  | 'PROCESS_MS_PER_MESSAGE'
  | 'TOPIC'
>;

export interface LoopDeps {
  dedup: DedupStore;
  consumerId: string;
  /** Called after the sink applied (or dropped) each message. */
  onProcessed: (outcome: Outcome, partition: number) => void;
}

/**
 * Start the consume loop. The broken loop is the natural first version of an eachBatch
 * handler (compute the batch, write it in bulk, let kafkajs resolve and commit); the
 * fixed one yields to the group protocol after every message.
 */
export function runConsumer(c: Consumer, cfg: LoopConfig, deps: LoopDeps): Promise<void> {
  if (cfg.BREAK_BLOCKING_BATCH) {
    return c.run({
      // The whole batch is resolved only after the handler returns; the runner then
      // commits and heartbeats. Until then the broker hears nothing from this member.
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }: EachBatchPayload) => {
        const events = batch.messages.map((m) => computeOrder(m, cfg.PROCESS_MS_PER_MESSAGE));
        const outcomes = await deps.dedup.recordMany(
          events.map((e) => e.id),
          deps.consumerId,
        );
        for (const outcome of outcomes) deps.onProcessed(outcome, batch.partition);
      },
    });
  }
  return c.run({
    // We resolve message by message; auto-resolve would mark an abandoned batch as done.
    eachBatchAutoResolve: false,
    autoCommitThreshold: cfg.COMMIT_EVERY_MESSAGES,
    autoCommitInterval: cfg.COMMIT_INTERVAL_MS,
    eachBatch: async ({
      batch,
      resolveOffset,
      heartbeat,
      commitOffsetsIfNecessary,
      isRunning,
      isStale,
    }: EachBatchPayload) => {
      for (const message of batch.messages) {
        // Stop early when shutting down or when a rebalance/seek made this batch stale.
        if (!isRunning() || isStale()) return;
        const event = computeOrder(message, cfg.PROCESS_MS_PER_MESSAGE);
        deps.onProcessed(await deps.dedup.record(event.id, deps.consumerId), batch.partition);
        resolveOffset(message.offset);
        await commitOffsetsIfNecessary();
        // Sends at most one heartbeat per heartbeatInterval. If the group is rebalancing
        // it commits what was resolved and throws, so we rejoin within one interval.
        await heartbeat();
      }
    },
  });
}
