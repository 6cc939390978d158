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
   * confirm does exactly this) and wait for the broker to confirm them all.
   */
  publish(orders: readonly Order[], copies?: number): Promise<number>;
  close(): Promise<void>;
}

let publishers = 0;

export async function createPublisher(connection: ChannelModel, queue: string): Promise<Publisher> {
  const channel: ConfirmChannel = await connection.createConfirmChannel();
  const tag = `${process.pid}-${++publishers}`;
  let seq = 0;
  return {
    async publish(orders, copies = 1) {
      let sent = 0;
      for (const order of orders) {
        const message: OrderMessage = { ...order, messageId: messageIdFor(order.orderId) };
        const body = Buffer.from(JSON.stringify(message));
        for (let c = 0; c < copies; c++) {
          const ok = channel.sendToQueue(queue, body, {
            persistent: true,
            contentType: 'application/json',
            messageId: message.messageId,
            headers: { [PUBLISH_ID_HEADER]: `${tag}-${++seq}` },
          });
          sent++;
          // The channel's buffer is full: let it drain before writing more.
          if (!ok) await new Promise((resolve) => channel.once('drain', resolve));
        }
      }
      await channel.waitForConfirms();
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
