import type { OrderEvent, PlannedOrder } from './order.ts';

export type BrokerName = 'kafka' | 'rabbitmq';

export interface Delivery {
  event: OrderEvent;
  receivedAtMs: number;
  /** RabbitMQ's redelivered flag; Kafka has no such flag (always false). */
  redelivered: boolean;
  /** Which of the lane's consumers processed it (0-based). */
  consumer: number;
  /** Kafka: where the message sits in the log. */
  partition?: number;
  offset?: string;
}

/** Runs once per delivery; the consumer acks (RabbitMQ) / resolves the offset (Kafka) after it. */
export type DeliveryHandler = (d: Delivery) => Promise<void> | void;

export interface PublishOptions {
  /** Messages per batch: one Kafka send() call, or N sendToQueue() calls whose confirms we await. */
  batchSize: number;
  /** Batches published but not yet acknowledged by the broker, at most. */
  inFlightBatches: number;
}

export interface ConsumeOptions {
  /** Kafka consumer group; ignored by RabbitMQ (consumers of one queue compete). */
  groupId?: string;
  /** Kafka only: how long a silent member keeps its partitions (the broker's floor is 6000). */
  sessionTimeoutMs?: number;
}

export interface Consumers {
  stop(): Promise<void>;
}

/** One topic or queue plus the clients that publish to it and consume from it. */
export interface Lane {
  readonly broker: BrokerName;
  /** Topic or queue name. */
  readonly name: string;
  /** Publish every order (send time stamped at hand-off); resolves when the broker acked all. */
  publishAll(orders: readonly PlannedOrder[], options: PublishOptions): Promise<void>;
  /** Publish one order and wait for the broker's ack. */
  publishOne(order: PlannedOrder): Promise<void>;
  /**
   * Start `count` consumers that process their deliveries one at a time, in the order they
   * arrive; resolves once all of them are ready to receive.
   */
  consume(count: number, handler: DeliveryHandler, options?: ConsumeOptions): Promise<Consumers>;
  /** Delete the topic or queue and disconnect. */
  close(): Promise<void>;
}

/** Run `publishBatch` over slices of `items`, keeping at most `window` batches in flight. */
export async function publishWindowed<T>(
  items: readonly T[],
  { batchSize, inFlightBatches }: PublishOptions,
  publishBatch: (batch: readonly T[]) => Promise<void>,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  // The first batch goes alone: it fetches the topic's metadata (Kafka) or opens the path, and
  // concurrent first sends would race each other there and land out of order.
  await publishBatch(items.slice(0, batchSize));
  for (let i = batchSize; i < items.length; i += batchSize) {
    if (failure !== undefined) break;
    const p: Promise<void> = publishBatch(items.slice(i, i + batchSize))
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= inFlightBatches) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
}
