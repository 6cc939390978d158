import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';

/**
 * A job queue that lives on RabbitMQ, bounded there: a durable queue with
 * `x-max-length` + `x-overflow: reject-publish`, so once `maxLength` jobs are ready the
 * broker nacks the publish (the caller turns that into 429). The consumer takes jobs with
 * prefetch = `prefetch` (the worker count), so no more than that many are ever in this
 * process; it acks only after the work is done.
 */
export interface BrokerQueue {
  readonly queue: string;
  /** Publish a job and wait for its result; resolves `false` when the broker refused it. */
  submit: (task: string) => Promise<{ accepted: false } | { accepted: true; done: Promise<void> }>;
  /** Ready jobs on the broker now (from a passive declare). */
  depth: () => Promise<number>;
  /** Jobs published and not yet done (this process waits for their results). */
  readonly pending: number;
  /** Stop consuming, delete the queue, close the connection. */
  close: () => Promise<void>;
}

export async function createBrokerQueue({
  url,
  maxLength,
  prefetch,
  work,
}: {
  url: string;
  maxLength: number;
  prefetch: number;
  /**
   * Runs one job; the message is acked when it resolves. `queuedMs`: time from the publish
   * to the delivery to this consumer (what the job waited on the broker).
   */
  work: (task: string, queuedMs: number) => Promise<void>;
}): Promise<BrokerQueue> {
  const queue = `poc77-jobs-${process.pid}-${randomUUID().slice(0, 8)}`;
  const connection = await amqp.connect(url);
  try {
    const publishCh = await connection.createConfirmChannel();
    const consumeCh = await connection.createChannel();
    await publishCh.assertQueue(queue, {
      durable: true,
      arguments: { 'x-max-length': maxLength, 'x-overflow': 'reject-publish' },
    });
    await consumeCh.prefetch(prefetch);
    // Published jobs this process waits for: when each was submitted, and its answer.
    const waiting = new Map<string, { submittedAt: number; done: () => void }>();

    const { consumerTag } = await consumeCh.consume(queue, (msg) => {
      if (!msg) return;
      const { id, task } = JSON.parse(msg.content.toString()) as { id: string; task: string };
      const submittedAt = waiting.get(id)?.submittedAt;
      const queuedMs = submittedAt === undefined ? 0 : performance.now() - submittedAt;
      work(task, queuedMs).then(
        () => {
          consumeCh.ack(msg);
          waiting.get(id)?.done();
          waiting.delete(id);
        },
        () => consumeCh.nack(msg, false, false),
      );
    });

    return {
      queue,
      submit: (task) => {
        const id = randomUUID();
        const submittedAt = performance.now();
        const done = new Promise<void>((resolve) =>
          waiting.set(id, { submittedAt, done: resolve }),
        );
        return new Promise((resolve) => {
          publishCh.sendToQueue(
            queue,
            Buffer.from(JSON.stringify({ id, task })),
            { persistent: true, messageId: id },
            (err) => {
              if (err) {
                waiting.delete(id);
                resolve({ accepted: false });
              } else resolve({ accepted: true, done });
            },
          );
        });
      },
      depth: async () => (await publishCh.checkQueue(queue)).messageCount,
      get pending() {
        return waiting.size;
      },
      close: async () => {
        await consumeCh.cancel(consumerTag).catch(() => {});
        await publishCh.deleteQueue(queue).catch(() => {});
        await connection.close().catch(() => {});
      },
    };
  } catch (err) {
    await connection.close().catch(() => {});
    throw err;
  }
}
