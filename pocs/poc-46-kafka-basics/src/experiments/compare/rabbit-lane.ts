import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Consumers, DeliveryHandler, Lane } from './lane.ts';
import { publishWindowed } from './lane.ts';
import { decodeOrder, encodeOrder, nowMs, type PlannedOrder } from './order.ts';

export type RabbitQueueType = 'quorum' | 'stream';

export interface RabbitLaneOptions {
  url: string;
  /** Existing queue to attach to (crash child); otherwise a fresh queue is declared and deleted on close. */
  queue?: string;
  /** quorum: the replicated queue to use for work (1 replica on this single node); stream: replayable log. */
  queueType?: RabbitQueueType;
  /** Unacked deliveries a consumer may hold (basic.qos). */
  prefetch?: number;
}

export interface RabbitLane extends Lane {
  readonly broker: 'rabbitmq';
  /** Ready (not delivered, not unacked) messages and live consumers, from queue.declare-ok. */
  inspect(): Promise<{ messageCount: number; consumerCount: number }>;
  /** basic.get once: the id of a message still in the queue (and requeues it), or undefined. */
  peek(): Promise<number | undefined>;
  readonly serverVersion: string;
}

export async function openRabbitLane(options: RabbitLaneOptions): Promise<RabbitLane> {
  const queueType = options.queueType ?? 'quorum';
  const prefetch = options.prefetch ?? 100;
  const connection: ChannelModel = await amqp.connect(options.url);
  const admin = await connection.createChannel();
  const created = options.queue === undefined;
  const queue = options.queue ?? `poc46.compare.${queueType}.${randomUUID().slice(0, 8)}`;
  if (created) {
    // Quorum and stream queues must be durable; on one node the Raft group has 1 member.
    await admin.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': queueType } });
  }
  const publisher: ConfirmChannel = await connection.createConfirmChannel();
  const open = new Set<ChannelModel>();

  /** Publish a batch and resolve when the broker confirmed every message of it. */
  const publishBatch = (orders: readonly PlannedOrder[]) => {
    const sentAt = nowMs();
    return new Promise<void>((resolve, reject) => {
      let pending = orders.length;
      for (const order of orders) {
        publisher.sendToQueue(
          queue,
          encodeOrder(order, sentAt),
          { persistent: true, contentType: 'application/json', messageId: String(order.id) },
          (err) => {
            if (err) reject(err instanceof Error ? err : new Error('message nacked by broker'));
            else if (--pending === 0) resolve();
          },
        );
      }
    });
  };

  const lane: RabbitLane = {
    broker: 'rabbitmq',
    name: queue,
    serverVersion: String(
      (connection.connection as unknown as { serverProperties?: { version?: string } })
        .serverProperties?.version ?? 'unknown',
    ),
    publishAll: (orders, opts) => publishWindowed(orders, opts, publishBatch),
    publishOne: (order) => publishBatch([order]),

    async consume(count, handler: DeliveryHandler): Promise<Consumers> {
      const mine: {
        conn: ChannelModel;
        channel: Channel;
        consumerTag: string;
        idle: () => Promise<void>;
      }[] = [];
      for (let i = 0; i < count; i++) {
        // One connection per consumer, like separate service instances.
        const conn = await amqp.connect(options.url);
        open.add(conn);
        const channel = await conn.createChannel();
        await channel.prefetch(prefetch);
        // One at a time per consumer, in arrival order: amqplib hands us deliveries without
        // waiting for the previous handler, so chain them.
        let chain = Promise.resolve();
        const { consumerTag } = await channel.consume(
          queue,
          (msg) => {
            if (msg === null) return;
            const receivedAtMs = nowMs();
            chain = chain.then(async () => {
              await handler({
                event: decodeOrder(msg.content),
                receivedAtMs,
                redelivered: msg.fields.redelivered,
                consumer: i,
              });
              channel.ack(msg);
            });
          },
          {
            noAck: false,
            // A stream is read from an offset, not drained: start at the first message.
            arguments: queueType === 'stream' ? { 'x-stream-offset': 'first' } : {},
          },
        );
        mine.push({ conn, channel, consumerTag, idle: () => chain });
      }
      return {
        async stop() {
          // Cancel first: deliveries stop (all that came before cancel-ok are in the chain), so
          // nothing arrives after the chain is done and goes back to the queue unacked. Then
          // finish what was delivered, close the channel (its acks go out before the
          // channel.close frame) and only then the connection: closing the connection first
          // can drop acks still queued in the client, and the broker requeues those messages.
          await Promise.all(
            mine.map(async ({ conn, channel, consumerTag, idle }) => {
              await channel.cancel(consumerTag).catch(() => {});
              await idle().catch(() => {});
              await channel.close().catch(() => {});
              await conn.close().catch(() => {});
              open.delete(conn);
            }),
          );
        },
      };
    },

    async inspect() {
      const ok = await admin.checkQueue(queue);
      return { messageCount: ok.messageCount, consumerCount: ok.consumerCount };
    },

    async peek() {
      const msg = await admin.get(queue, { noAck: false });
      if (msg === false) return undefined;
      admin.nack(msg, false, true);
      return decodeOrder(msg.content).id;
    },

    async close() {
      await Promise.all([...open].map((c) => c.close().catch(() => {})));
      if (created) await admin.deleteQueue(queue).catch(() => {});
      await connection.close().catch(() => {});
    },
  };
  return lane;
}
