import { performance } from 'node:perf_hooks';
import { createDeadline, withinDeadline } from '@pocs/shared/deadline';
import type { Logger } from '@pocs/shared/log';
import type { Registry } from '@pocs/shared/metrics';
import type { Batch, Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Config } from './config.ts';
import { createCopierMetrics } from './copier-metrics.ts';
import { isFencedError } from './kafka.ts';
import { transformValue } from './records.ts';

export type CopierState = 'starting' | 'running' | 'stopping' | 'stopped' | 'fenced' | 'failed';
export type FatalKind = 'fenced' | 'failed';

export interface CopierStats {
  mode: Config['COPY_MODE'];
  state: CopierState;
  /** Messages written to the output by this process. */
  sent: number;
  /** Of those, messages whose input offsets are committed. */
  committed: number;
  /** Sent but not committed: what a crash right now would make the next copier redo. */
  uncommitted: number;
  transactions: number;
}

export interface Copier {
  start(): Promise<void>;
  /** Finish the batch in hand, commit (at-least-once) and leave the group. */
  stop(): Promise<void>;
  /** at-least-once: commit what was processed so far (benches time "copied and committed"). */
  flush(): Promise<void>;
  stats(): CopierStats;
}

/** Steps that share one deadline: each throws DeadlineExceededError once it has passed. */
function stepsWithin(ms: number) {
  const deadline = createDeadline(ms);
  return <T>(what: string, work: () => Promise<T>) => withinDeadline(deadline, what, work);
}

const chunksOf = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );

/**
 * Read-process-write from INPUT_TOPIC to OUTPUT_TOPIC, output partition = input partition
 * (as Kafka's TransactionalMessageCopier does), so order within a partition is checkable.
 *
 * transactional: each chunk of ≤ TX_MAX_MESSAGES is one transaction holding the output
 *   records AND the input offsets (sendOffsets), committed or aborted together.
 * at-least-once: produce, then commit offsets on a timer; a crash in between redoes work.
 *
 * Crash-only error handling: any error inside a transaction is fatal (onFatal exits the
 * process), and so is a transaction still unfinished after TX_DEADLINE_MS. The restarted
 * copier fences the old epoch, which aborts the open transaction, and resumes from the
 * committed offsets. kafkajs cannot abort after a failed commit (its state machine leaves
 * TRANSACTING first), so in-process recovery would be guesswork.
 */
export function createCopier({
  config,
  kafka,
  logger,
  registry,
  onFatal,
}: {
  config: Readonly<Config>;
  kafka: Kafka;
  logger: Logger;
  registry: Registry;
  onFatal: (kind: FatalKind, err: unknown) => void;
}): Copier {
  const mode = config.COPY_MODE;
  const transactional = mode === 'transactional';
  const metrics = createCopierMetrics(registry, mode);
  const log = logger.child({ component: 'copier', mode });
  const stats: CopierStats = {
    mode,
    state: 'starting',
    sent: 0,
    committed: 0,
    uncommitted: 0,
    transactions: 0,
  };
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  /** at-least-once: next offset per partition, resolved but maybe not committed yet. */
  const resolved = new Map<number, string>();
  let lastCommitMs = performance.now();
  /**
   * transactional: the next offset per input partition that THIS process committed. A batch
   * below it is stale (fetched before a rebalance, or an offset fetched while our last
   * commit was still settling: kafkajs has no KIP-447 require_stable) and is skipped.
   */
  const committedNext = new Map<number, number>();
  /** The chunk being copied right now; stop() lets it finish. */
  let inFlight: Promise<void> = Promise.resolve();

  const fatal = (err: unknown) => {
    if (stats.state === 'fenced' || stats.state === 'failed') return;
    const kind: FatalKind = isFencedError(err) ? 'fenced' : 'failed';
    stats.state = kind;
    if (kind === 'fenced') {
      metrics.fenced();
      log.warn({ evt: 'fenced', err }, 'a newer copier owns this transactional.id: stopping');
    } else {
      log.error({ evt: 'failed', err }, 'copy failed: exiting so a fresh copier resumes');
    }
    onFatal(kind, err);
  };

  const progress = (message: string) =>
    log.info(
      {
        evt: 'progress',
        sent: stats.sent,
        committed: stats.committed,
        uncommitted: stats.uncommitted,
      },
      message,
    );

  const outputMessages = (batch: Batch, messages: KafkaMessage[]) =>
    messages.map((m) => ({
      partition: batch.partition,
      key: m.key,
      value: transformValue(m.value),
    }));

  async function copyInTransactions(batch: Batch, chunk: KafkaMessage[]): Promise<void> {
    const started = performance.now();
    const step = stepsWithin(config.TX_DEADLINE_MS);
    const tx = await step('beginning a transaction', () => producer!.transaction());
    await step('sending the output', () =>
      tx.send({ topic: config.OUTPUT_TOPIC, acks: -1, messages: outputMessages(batch, chunk) }),
    );
    stats.sent += chunk.length;
    stats.uncommitted += chunk.length;
    metrics.sent(chunk.length);
    progress('sent in open transaction');
    const next = String(Number(chunk[chunk.length - 1]!.offset) + 1);
    // The input offset joins the transaction: it commits exactly when the output does.
    await step('adding the input offsets', () =>
      tx.sendOffsets({
        consumerGroupId: config.GROUP_ID,
        topics: [
          { topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] },
        ],
      }),
    );
    await step('committing', () => tx.commit());
    committedNext.set(batch.partition, Number(next));
    stats.transactions++;
    stats.committed += chunk.length;
    stats.uncommitted -= chunk.length;
    metrics.transaction('committed');
    metrics.committed(chunk.length);
    metrics.commitSeconds((performance.now() - started) / 1000);
  }

  /** at-least-once commits run one at a time, from the copy loop and from the timer. */
  let commitChain: Promise<void> = Promise.resolve();
  let commitTimer: NodeJS.Timeout | undefined;
  const commitSerially = (): Promise<void> => {
    commitChain = commitChain.then(commitResolved, commitResolved);
    return commitChain;
  };

  async function commitResolved(): Promise<void> {
    if (stats.uncommitted === 0) return;
    const started = performance.now();
    const pending = stats.uncommitted;
    await stepsWithin(config.TX_DEADLINE_MS)('committing the offsets', () =>
      consumer!.commitOffsets(
        [...resolved].map(([partition, offset]) => ({
          topic: config.INPUT_TOPIC,
          partition,
          offset,
        })),
      ),
    );
    lastCommitMs = performance.now();
    stats.committed += pending;
    stats.uncommitted -= pending;
    metrics.committed(pending);
    metrics.commitSeconds((performance.now() - started) / 1000);
    log.debug({ evt: 'offsets-committed', committed: stats.committed }, 'offsets committed');
  }

  async function copyAtLeastOnce(batch: Batch, chunk: KafkaMessage[]): Promise<void> {
    // The idempotent producer retries without end (kafkajs' default for idempotence): a send
    // to a broker that is gone never returns. The same deadline as a transaction bounds it,
    // and missing it is fatal, as in transactional mode.
    await stepsWithin(config.TX_DEADLINE_MS)('sending the output', () =>
      producer!.send({
        topic: config.OUTPUT_TOPIC,
        acks: -1,
        messages: outputMessages(batch, chunk),
      }),
    );
    stats.sent += chunk.length;
    stats.uncommitted += chunk.length;
    metrics.sent(chunk.length);
    progress('sent; offsets not committed yet');
    resolved.set(batch.partition, String(Number(chunk[chunk.length - 1]!.offset) + 1));
    const dueByCount =
      config.AUTO_COMMIT_EVERY_MESSAGES > 0 &&
      stats.uncommitted >= config.AUTO_COMMIT_EVERY_MESSAGES;
    if (dueByCount) await commitSerially();
  }

  /** Like Java's enable.auto.commit: offsets go out every interval, busy or idle. */
  function startCommitTimer(): void {
    commitTimer = setInterval(
      () => {
        if (performance.now() - lastCommitMs < config.AUTO_COMMIT_INTERVAL_MS) return;
        commitSerially().catch((err) => {
          if (stats.state === 'running') fatal(err);
        });
      },
      Math.min(config.AUTO_COMMIT_INTERVAL_MS, 250),
    );
    commitTimer.unref();
  }

  return {
    stats: () => ({ ...stats }),

    async flush() {
      await inFlight;
      if (!transactional) await commitSerially();
    },

    async start() {
      producer = transactional
        ? kafka.producer({
            transactionalId: config.TRANSACTIONAL_ID,
            // kafkajs requires both for transactions: sequence numbers per partition, one
            // request in flight so a retry can never overtake the batch before it.
            idempotent: true,
            maxInFlightRequests: 1,
            transactionTimeout: config.TRANSACTION_TIMEOUT_MS,
            // Unlimited retries, as kafkajs sets for idempotence, but starting at 20 ms.
            retry: {
              retries: Number.MAX_SAFE_INTEGER,
              initialRetryTime: config.TX_RETRY_INITIAL_MS,
              maxRetryTime: 5_000,
            },
          })
        : kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      consumer = kafka.consumer({
        groupId: config.GROUP_ID,
        // The default, spelled out: never copy records of an aborted upstream transaction.
        readUncommitted: false,
        sessionTimeout: config.SESSION_TIMEOUT_MS,
        heartbeatInterval: 1_000,
        maxWaitTimeInMs: 250,
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) fatal(payload.error);
      });
      const step = stepsWithin(config.TX_DEADLINE_MS);
      try {
        await step('connecting the producer', () => producer!.connect());
        if (transactional) {
          // kafkajs' initTransactions: InitProducerId with our transactional.id bumps the
          // epoch, fences any older copier and makes the coordinator abort its open
          // transaction — before we read a single committed offset.
          await step('claiming the producer epoch', async () => {
            const init = await producer!.transaction();
            await init.abort();
          });
          log.info(
            { evt: 'initialized', transactionalId: config.TRANSACTIONAL_ID },
            'producer epoch claimed',
          );
        }
        await step('connecting the consumer', () => consumer!.connect());
        await consumer.subscribe({ topic: config.INPUT_TOPIC, fromBeginning: true });
        stats.state = 'running';
        lastCommitMs = performance.now();
        if (!transactional) startCommitTimer();
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
            const floor = committedNext.get(batch.partition) ?? -1;
            const fresh = batch.messages.filter((m) => Number(m.offset) >= floor);
            if (fresh.length < batch.messages.length) {
              const skipped = batch.messages.length - fresh.length;
              log.warn(
                { evt: 'stale-batch', partition: batch.partition, skipped, floor },
                'skipped records this copier already committed',
              );
              resolveOffset(String(floor - 1));
            }
            for (const chunk of chunksOf(fresh, config.TX_MAX_MESSAGES)) {
              if (stats.state !== 'running' || !isRunning() || isStale()) return;
              try {
                inFlight = transactional
                  ? copyInTransactions(batch, chunk)
                  : copyAtLeastOnce(batch, chunk);
                await inFlight;
              } catch (err) {
                fatal(err);
                throw err;
              }
              resolveOffset(chunk[chunk.length - 1]!.offset);
              await heartbeat();
            }
          },
        });
      } catch (err) {
        fatal(err);
      }
    },

    async stop() {
      const wasRunning = stats.state === 'running';
      if (wasRunning) stats.state = 'stopping';
      // The eachBatch loop sees the state and returns after the chunk in hand.
      clearInterval(commitTimer);
      await inFlight.catch(() => undefined);
      if (wasRunning && !transactional) {
        // Like a Java consumer's close(): commit what was processed before leaving.
        await commitSerially().catch((err) => log.warn({ err }, 'final offset commit failed'));
      }
      // Bounded: with the brokers gone, kafkajs' disconnect waits on its own retries.
      const bounded = (what: string, work: () => Promise<void>) =>
        stepsWithin(config.TX_DEADLINE_MS)(what, work).catch(() => undefined);
      await bounded('disconnecting the consumer', async () => consumer?.disconnect());
      await bounded('disconnecting the producer', async () => producer?.disconnect());
      if (wasRunning) stats.state = 'stopped';
      log.info({ evt: 'stopped', ...stats }, 'copier stopped');
    },
  };
}
