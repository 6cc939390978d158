import { BrokerUnavailableError } from '@pocs/rabbitmq';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { Order } from './store.ts';

/** The order event on the wire. `messageId` is the dedup key: one per order, stable across copies. */
export interface OrderMessage extends Order {
  messageId: string;
}

export const messageIdFor = (orderId: number) => `order-${orderId}`;

/** Header naming one publish of a message: copies and replays of one order each get their own. */
export const PUBLISH_ID_HEADER = 'x-publish-id';

export interface Publisher {
  /**
   * Publish each order `copies` times back to back (a producer that retried after a lost
   * confirm does exactly this) and wait for the broker to confirm them all. Rejects with
   * BrokerUnavailableError when the channel closes first or the confirms take longer than
   * `confirmTimeoutMs`.
   */
  publish(orders: readonly Order[], copies?: number): Promise<number>;
  close(): Promise<void>;
}

let publishers = 0;

export async function createPublisher(
  connection: ChannelModel,
  queue: string,
  {
    confirmTimeoutMs = 5_000,
    watch = (channel) => channel.on('error', () => {}),
  }: {
    /** How long one publish call may wait for buffer space and confirms, ms. */
    confirmTimeoutMs?: number;
    /** Listens for the channel's errors for its whole life (amqplib throws on an unheard 'error'). */
    watch?: (channel: ConfirmChannel) => void;
  } = {},
): Promise<Publisher> {
  const channel: ConfirmChannel = await connection.createConfirmChannel();
  watch(channel);
  let closed = false;
  const closedWaiters = new Set<(err: Error) => void>();
  channel.on('close', () => {
    closed = true;
    for (const fail of closedWaiters) fail(new BrokerUnavailableError('publish channel closed'));
    closedWaiters.clear();
  });
  /** `work`, or BrokerUnavailableError when the channel closes or the time is up first. */
  const bounded = <T>(work: Promise<T>, deadline: number): Promise<T> => {
    work.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    let fail: ((err: Error) => void) | undefined;
    return Promise.race([
      work,
      new Promise<never>((_, reject) => {
        fail = reject;
        if (closed) reject(new BrokerUnavailableError('publish channel closed'));
        closedWaiters.add(reject);
        timer = setTimeout(
          () =>
            reject(
              new BrokerUnavailableError(`publish not confirmed within ${confirmTimeoutMs} ms`),
            ),
          Math.max(0, deadline - performance.now()),
        );
      }),
    ]).finally(() => {
      clearTimeout(timer);
      if (fail) closedWaiters.delete(fail);
    });
  };
  const tag = `${process.pid}-${++publishers}`;
  let seq = 0;
  return {
    async publish(orders, copies = 1) {
      const deadline = performance.now() + confirmTimeoutMs;
      let sent = 0;
      try {
        for (const order of orders) {
          const message: OrderMessage = { ...order, messageId: messageIdFor(order.orderId) };
          const body = Buffer.from(JSON.stringify(message));
          for (let c = 0; c < copies; c++) {
            // Throws IllegalOperationError once the channel has closed.
            const ok = channel.sendToQueue(queue, body, {
              persistent: true,
              contentType: 'application/json',
              messageId: message.messageId,
              headers: { [PUBLISH_ID_HEADER]: `${tag}-${++seq}` },
            });
            sent++;
            // The channel's buffer is full: let it drain before writing more.
            if (!ok) {
              await bounded(new Promise((resolve) => channel.once('drain', resolve)), deadline);
            }
          }
        }
        await bounded(channel.waitForConfirms(), deadline);
      } catch (err) {
        if (err instanceof BrokerUnavailableError) throw err;
        throw new BrokerUnavailableError('publish failed: the channel closed', err);
      }
      return sent;
    },
    close: () => channel.close(),
  };
}

/** Parse a delivery body; undefined for anything that is not an order event. */
export function parseOrderMessage(body: Buffer): OrderMessage | undefined {
  try {
    const m = JSON.parse(body.toString()) as Partial<OrderMessage>;
    if (
      typeof m.messageId === 'string' &&
      m.messageId.length > 0 &&
      Number.isInteger(m.orderId) &&
      Number.isInteger(m.quantity)
    ) {
      return m as OrderMessage;
    }
  } catch {}
  return undefined;
}
