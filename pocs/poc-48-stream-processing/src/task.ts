import { createDeadline, withinDeadline } from '@pocs/shared/deadline';
import { createCommits } from './commits.ts';
import type { ProcessorOptions } from './processor.ts';
import type { ProcessorMetrics } from './processor-metrics.ts';
import { type RestoreStats, restoreFromChangelog } from './restore.ts';
import { takeMessage } from './take-message.ts';
import { createTaskClients } from './task-clients.ts';
import { createTaskState, type Snapshot } from './task-state.ts';

/** A task takes the processor's settings, plus what the processor derives and keeps for it. */
export interface TaskOptions
  extends Pick<
    ProcessorOptions,
    | 'kafka'
    | 'admin'
    | 'inputTopic'
    | 'changelogTopic'
    | 'outputTopic'
    | 'applicationId'
    | 'spec'
    | 'changelog'
    | 'commitIntervalMs'
    | 'commitMaxEvents'
    | 'commitDeadlineMs'
    | 'transactionTimeoutMs'
    | 'sessionTimeoutMs'
    | 'fetchMaxBytesPerPartition'
    | 'logger'
  > {
  /** exactly_once_v2 with a changelog: one transaction per commit. */
  eos: boolean;
  metrics: ProcessorMetrics;
  /** Counters that outlive one task (the processor's stats). */
  counters: {
    processedHere: number;
    commits: number;
    changelogRecordsWritten: number;
    windowsEmitted: number;
    poison: number;
    refetchedSkipped: number;
  };
  /**
   * Called once when this task can no longer go on: a commit failed or missed its deadline
   * (memory is now ahead of Kafka), or the consumer crashed. The task is dead from then on.
   */
  onFailure: (err: unknown) => void;
}

/** Steps that share one deadline: each throws DeadlineExceededError once it has passed. */
function stepsWithin(ms: number) {
  const deadline = createDeadline(ms);
  return <T>(what: string, work: () => Promise<T>) => withinDeadline(deadline, what, work);
}

/**
 * One life of the stream task: its own producer, consumer and in-memory state, restored from
 * the changelog. It never outlives a failure: after one, the processor throws it away and
 * starts a fresh task, which restores again (Kafka Streams closes a task "dirty" and
 * revives it the same way). A stale task's late callbacks change nothing: `alive` is false.
 */
export function createTask(o: TaskOptions) {
  const state = createTaskState({ spec: o.spec, changelog: o.changelog });
  const { producer, consumer } = createTaskClients({ ...o, transactional: o.eos });
  const c = o.counters;
  let alive = true;
  let running = false;
  const fail = (err: unknown) => {
    if (!alive) return;
    alive = false;
    running = false;
    o.onFailure(err);
  };
  // kafkajs never restarts this consumer itself (restartOnFailure → false in task-clients):
  // every crash ends the task, and the processor's restart is the one recovery path.
  consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));

  const commits = createCommits({
    ...o,
    producer,
    consumer,
    onWritten: (snap: Snapshot) => {
      c.changelogRecordsWritten += snap.changelog.length;
      o.metrics.changelog.inc(snap.changelog.length);
      c.windowsEmitted += snap.outputs.length;
      o.metrics.emitted.inc(snap.outputs.length);
    },
    onCommit: (kind) => {
      c.commits++;
      o.metrics.commits.inc({ kind });
    },
  });

  // One commit at a time: the timer and the batch handler both go through here.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn);
    chain = next.catch(() => {});
    return next;
  };

  let lastCommitAt = Date.now();
  /**
   * Flush and/or commit if due (or forced). Runs serially, within COMMIT_DEADLINE_MS: kafkajs
   * gives an idempotent producer no bound of its own, and a commit stuck behind a broker that
   * is gone would stall the task while it still looks alive. A failure ends the task.
   */
  const step = (force: boolean) =>
    serial(async () => {
      if (!alive) throw new Error('the task has failed');
      const elapsed = Date.now() - lastCommitAt >= o.commitIntervalMs;
      // exactly_once_v2 also commits every COMMIT_MAX_EVENTS to bound a transaction;
      // at_least_once commits offsets on the interval only, like Kafka Streams.
      const due = force || elapsed || (o.eos && state.pendingEvents() >= o.commitMaxEvents);
      const within = stepsWithin(o.commitDeadlineMs);
      try {
        if (o.eos) {
          if (!due || (!state.hasChanges() && state.pendingEvents() === 0)) return;
          const snap = state.snapshot();
          await within('the commit transaction', () => commits.commitTransaction(snap));
        } else {
          if (state.hasChanges()) {
            const snap = state.snapshot();
            await within('writing the changelog', () => commits.writeThrough(snap));
          }
          if (!due) return;
          await within('committing the offsets', () => commits.commitOffsets());
        }
        lastCommitAt = Date.now();
      } catch (err) {
        fail(err);
        throw err;
      }
    });

  let timer: NodeJS.Timeout | undefined;

  return {
    state,
    isRunning: () => alive && running,

    /** Connect, fence, restore and join. Resolves with the restore's numbers (null: no changelog). */
    async start(): Promise<RestoreStats | null> {
      // Connecting the transactional producer fences a crashed predecessor with the same
      // transactional id and aborts its open transaction before we read the changelog.
      await producer.connect();
      let restore: RestoreStats | null = null;
      if (o.changelog) {
        restore = await restoreFromChangelog({ ...o, state, metrics: o.metrics });
      } else o.logger.warn('BREAK_NO_CHANGELOG: window counts live in memory only');
      await consumer.connect();
      await consumer.subscribe({ topic: o.inputTopic, fromBeginning: true });
      if (!alive) throw new Error('the task failed while starting');
      // The commit interval counts from here, not from the restore or the group join.
      lastCommitAt = Date.now();
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          for (const message of batch.messages) {
            if (!isRunning() || isStale() || !alive) break;
            const taken = takeMessage(state, o.spec, o.metrics, batch.partition, message);
            resolveOffset(message.offset);
            if (taken === 'refetched') {
              c.refetchedSkipped++;
              continue;
            }
            if (taken === 'poison') c.poison++;
            c.processedHere++;
            if (state.pendingEvents() >= o.commitMaxEvents) await step(false);
          }
          await step(false);
          await heartbeat();
        },
      });
      if (!alive) throw new Error('the task failed while joining the group');
      running = true;
      timer = setInterval(() => {
        if (alive) step(false).catch(() => {});
      }, o.commitIntervalMs);
      return restore;
    },

    /**
     * clean: stop fetching, commit what was processed, leave the group. Not clean (after a
     * failure): drop everything; each disconnect is bounded, since the broker may be gone.
     */
    async close({ clean }: { clean: boolean }) {
      clearInterval(timer);
      if (clean && alive && running) {
        consumer.pause([{ topic: o.inputTopic }]);
        await step(true).catch(() => {});
      }
      alive = false;
      running = false;
      const bounded = (what: string, work: () => Promise<void>) =>
        withinDeadline(createDeadline(o.commitDeadlineMs), what, work).catch((err) =>
          o.logger.debug({ err }, `${what} failed`),
        );
      await bounded('disconnecting the consumer', () => consumer.disconnect());
      await bounded('disconnecting the producer', () => producer.disconnect());
    },
  };
}

export type Task = ReturnType<typeof createTask>;
