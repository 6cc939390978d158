import { randomUUID } from 'node:crypto';
import { type AmqpState, BrokerUnavailableError, ReconnectingConnection } from '@pocs/rabbitmq';
import { DeadlineExceededError } from '@pocs/shared/deadline';
import { PocError } from '@pocs/shared/errors';
import { type Logger, silentLogger } from '@pocs/shared/log';
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';

/**
 * A job queue that lives on RabbitMQ, bounded there: a durable queue with
 * `x-max-length` + `x-overflow: reject-publish`, so once `maxLength` jobs are ready the
 * broker nacks the publish (the caller turns that into 429). The consumer takes jobs with
 * prefetch = `prefetch` (the worker count), so no more than that many are ever in this
 * process; it acks only after the work is done.
 *
 * A broker restart, reset or dropped link is a normal day: every job waiting for its result
 * is rejected with BrokerUnavailableError (503) at once, submits fail fast while the link is
 * down, and the connection comes back by itself (bounded backoff), channels and consumer
 * rebuilt. A job waits for its result at most `jobTimeoutMs`.
 */
export interface BrokerQueue {
  readonly queue: string;
  /**
   * Publish a job; resolves `{ accepted: false }` when the broker refused it (queue full),
   * else with `done`, which resolves when the job has run. Both reject with
   * BrokerUnavailableError when the link is down or drops, `done` with DeadlineExceededError
   * after `jobTimeoutMs` and with JobFailedError when the work threw.
   */
  submit: (task: string) => Promise<{ accepted: false } | { accepted: true; done: Promise<void> }>;
  /** Ready jobs on the broker now (from a passive declare; the last value while it is unreachable). */
  depth: () => Promise<number>;
  /** Jobs published and not yet done (this process waits for their results). */
  readonly pending: number;
  /** 'open' while jobs can be published. */
  readonly state: AmqpState;
  /** Stop consuming, delete the queue, close the connection. */
  close: () => Promise<void>;
}

/** The work itself threw: the job is dropped (nacked without requeue). */
export class JobFailedError extends PocError {}

export const isJobFailedError = (e: unknown): e is JobFailedError => e instanceof JobFailedError;

const DEPTH_TIMEOUT_MS = 1_000;

interface Waiter {
  submittedAt: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export async function createBrokerQueue({
  url,
  maxLength,
  prefetch,
  work,
  jobTimeoutMs = 5_000,
  connectTimeoutMs = 5_000,
  heartbeatSec = 5,
  logger = silentLogger,
}: {
  url: string;
  maxLength: number;
  prefetch: number;
  /**
   * Runs one job; the message is acked when it resolves. `queuedMs`: time from the publish
   * to the delivery to this consumer (what the job waited on the broker).
   */
  work: (task: string, queuedMs: number) => Promise<void>;
  /** How long a submitted job may take from publish to done before its caller gets an error, ms. */
  jobTimeoutMs?: number;
  connectTimeoutMs?: number;
  heartbeatSec?: number;
  logger?: Logger;
}): Promise<BrokerQueue> {
  const queue = `poc77-jobs-${process.pid}-${randomUUID().slice(0, 8)}`;
  // Published jobs this process waits for: when each was submitted, and its answer.
  const waiting = new Map<string, Waiter>();
  let channels: { publish: ConfirmChannel; consume: Channel; consumerTag: string } | undefined;
  let lastDepth = 0;

  // After the channel closed, ack and nack throw; the broker redelivers the message anyway.
  const settle = (channel: Channel, msg: ConsumeMessage, how: 'ack' | 'drop') => {
    try {
      if (how === 'ack') channel.ack(msg);
      else channel.nack(msg, false, false);
    } catch (err) {
      logger.debug({ err }, 'could not settle a delivery: the broker will redeliver it');
    }
  };

  const onDelivery = (channel: Channel) => (msg: ConsumeMessage | null) => {
    if (!msg) return;
    let id: string;
    let task: string;
    try {
      ({ id, task } = JSON.parse(msg.content.toString()) as { id: string; task: string });
    } catch {
      settle(channel, msg, 'drop');
      return;
    }
    const waiter = waiting.get(id);
    if (!waiter) {
      // Nobody waits for it any more (its caller got a 503 or its deadline passed): running
      // it now would be work for a client that has left.
      settle(channel, msg, 'ack');
      return;
    }
    const queuedMs = performance.now() - waiter.submittedAt;
    work(task, queuedMs)
      .then(
        () => {
          settle(channel, msg, 'ack');
          waiting.get(id)?.resolve();
        },
        (err: unknown) => {
          settle(channel, msg, 'drop');
          waiting.get(id)?.reject(new JobFailedError(`job ${id} failed`, { cause: err }));
        },
      )
      .catch((err: unknown) => logger.error({ err }, 'job settlement failed'));
  };

  const rabbit: ReconnectingConnection = new ReconnectingConnection({
    url,
    connectTimeoutMs,
    heartbeatSec,
    logger,
    setup: async (connection) => {
      const publish = rabbit.watch(await connection.createConfirmChannel(), 'publish');
      const consume = rabbit.watch(await connection.createChannel(), 'consume');
      // Durable: jobs published before a drop are still there after it.
      await publish.assertQueue(queue, {
        durable: true,
        arguments: { 'x-max-length': maxLength, 'x-overflow': 'reject-publish' },
      });
      await consume.prefetch(prefetch);
      const { consumerTag } = await consume.consume(queue, onDelivery(consume));
      channels = { publish, consume, consumerTag };
    },
  });
  rabbit.on('lost', (err: Error) => {
    channels = undefined;
    // Their results can no longer arrive on this connection: answer now, not at the deadline.
    for (const waiter of [...waiting.values()]) {
      waiter.reject(
        new BrokerUnavailableError('connection to RabbitMQ lost while the job waited', err),
      );
    }
  });
  await rabbit.start();

  return {
    queue,
    submit: (task) => {
      const current = channels;
      if (!current || rabbit.state !== 'open') {
        return Promise.reject(new BrokerUnavailableError(`RabbitMQ connection is ${rabbit.state}`));
      }
      const id = randomUUID();
      const submittedAt = performance.now();
      let answer!: { resolve: () => void; reject: (err: Error) => void };
      const done = new Promise<void>((resolve, reject) => {
        answer = { resolve, reject };
      });
      const timer = setTimeout(
        () =>
          waiting
            .get(id)
            ?.reject(
              new DeadlineExceededError(`job not done within ${jobTimeoutMs} ms`, jobTimeoutMs),
            ),
        jobTimeoutMs,
      );
      const finish = () => {
        clearTimeout(timer);
        waiting.delete(id);
      };
      waiting.set(id, {
        submittedAt,
        resolve: () => {
          finish();
          answer.resolve();
        },
        reject: (err) => {
          finish();
          answer.reject(err);
        },
      });
      return new Promise((resolve, reject) => {
        // Until the confirm arrives, a drop or the deadline answers the submit itself.
        done.catch(reject);
        try {
          current.publish.sendToQueue(
            queue,
            Buffer.from(JSON.stringify({ id, task })),
            { persistent: true, messageId: id },
            (err) => {
              if (!err) {
                resolve({ accepted: true, done });
                return;
              }
              // 'message nacked': the queue is full (reject-publish). Anything else: the
              // channel closed before the confirm came.
              if (/nacked/.test(String(err.message))) {
                finish();
                resolve({ accepted: false });
              } else {
                waiting
                  .get(id)
                  ?.reject(
                    new BrokerUnavailableError('publish not confirmed: channel closed', err),
                  );
              }
            },
          );
        } catch (err) {
          waiting
            .get(id)
            ?.reject(new BrokerUnavailableError('publish failed: channel closed', err));
        }
      });
    },
    depth: async () => {
      const current = channels;
      if (!current) return lastDepth;
      let timer: NodeJS.Timeout | undefined;
      try {
        const check = current.publish.checkQueue(queue);
        check.catch(() => {});
        const ok = await Promise.race([
          check,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('checkQueue timed out')), DEPTH_TIMEOUT_MS);
          }),
        ]);
        lastDepth = ok.messageCount;
      } catch {
        // Unreachable or slow: keep the last value rather than failing the scrape.
      } finally {
        clearTimeout(timer);
      }
      return lastDepth;
    },
    get pending() {
      return waiting.size;
    },
    get state() {
      return rabbit.state;
    },
    close: async () => {
      const current = channels;
      channels = undefined;
      for (const waiter of [...waiting.values()]) {
        waiter.reject(new BrokerUnavailableError('the job queue is closing'));
      }
      if (current) {
        await current.consume.cancel(current.consumerTag).catch(() => {});
        await current.publish.deleteQueue(queue).catch(() => {});
      }
      await rabbit.close();
    },
  };
}
