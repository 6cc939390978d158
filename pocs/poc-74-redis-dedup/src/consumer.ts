import type { Logger } from '@pocs/shared/log';
import { Counter, Histogram, latencyBucketsSeconds, type Registry } from '@pocs/shared/metrics';
import { sleep, waitFor } from '@pocs/shared/wait';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Deduper } from './dedup.ts';
import { type OrderMessage, PUBLISH_ID_HEADER, parseOrderMessage } from './queue.ts';

export type Outcome = 'processed' | 'duplicate' | 'in_flight' | 'failed' | 'poison';

export interface ConsumerStats {
  deliveries: number;
  redelivered: number;
  /** Messages settled for good (acked or dropped): each publish ends here exactly once. */
  settled: number;
  injectedNacks: number;
  outcomes: Record<Outcome, number>;
  sideEffects: { inserted: number; conflict: number };
  /** Time spent in the deduplicator's begin() and in the side effect, summed over deliveries. */
  dedupMsTotal: number;
  sideEffectMsTotal: number;
}

export interface ConsumerOptions {
  connection: ChannelModel;
  queue: string;
  consumers: number;
  prefetch: number;
  deduper: Deduper;
  /** The side effect; `conflict` means the unique constraint dropped a duplicate. */
  sideEffect: (message: OrderMessage) => Promise<'inserted' | 'conflict'>;
  /** BREAK_REDELIVER_TIMES: nack (requeue) every publish this many times after handling it. */
  redeliverTimes: number;
  /** How long a copy that finds the message claimed by another delivery waits before it is requeued. */
  inFlightRetryMs: number;
  /**
   * DANGEROUS, for the test twin only: ack a copy that finds the message in flight. If the
   * claim's owner died before its side effect, the message is lost.
   */
  dangerouslyAckInFlight?: boolean;
  registry: Registry;
  logger: Logger;
  /**
   * Listens for each consumer channel's errors for its whole life (amqplib throws on an
   * unheard 'error'); default: log them. A reconnecting connection passes its own `watch`.
   */
  watch?: (channel: Channel, name: string) => void;
}

export interface Consumer {
  stats(): ConsumerStats;
  /**
   * Consume again on a new connection (after the old one dropped): `consumers` fresh
   * channels. Stats carry on; what was unacked on the old channels is redelivered.
   */
  resume(connection: ChannelModel): Promise<void>;
  stop(drainTimeoutMs?: number): Promise<void>;
}

/**
 * At-least-once consumer: manual acks, `consumers` channels with `prefetch` unacked
 * messages each, so handlers run concurrently. A message is acked only after its side
 * effect committed; anything that stops the ack (crash, closed channel, nack) makes
 * RabbitMQ deliver it again.
 */
export async function startConsumer(o: ConsumerOptions): Promise<Consumer> {
  const messages = new Counter({
    name: 'consumer_messages_total',
    help: 'Deliveries handled, by outcome (processed, duplicate, in_flight, failed, poison)',
    labelNames: ['outcome'],
    registers: [o.registry],
  });
  const deliveries = new Counter({
    name: 'consumer_deliveries_total',
    help: 'Messages delivered by RabbitMQ, by whether the broker flagged them as redelivered',
    labelNames: ['redelivered'],
    registers: [o.registry],
  });
  const sideEffects = new Counter({
    name: 'shipment_inserts_total',
    help: 'Shipment inserts, by result: inserted, or conflict (the unique constraint caught a duplicate that got past Redis)',
    labelNames: ['result'],
    registers: [o.registry],
  });
  const injected = new Counter({
    name: 'consumer_injected_nacks_total',
    help: 'Deliveries nacked on purpose by BREAK_REDELIVER_TIMES (lost acks)',
    registers: [o.registry],
  });
  const dedupSeconds = new Histogram({
    name: 'dedup_check_duration_seconds',
    help: 'Time spent asking the deduplicator before the side effect, in seconds, by strategy',
    labelNames: ['strategy'],
    buckets: latencyBucketsSeconds,
    registers: [o.registry],
  });

  const stats: ConsumerStats = {
    deliveries: 0,
    redelivered: 0,
    settled: 0,
    injectedNacks: 0,
    outcomes: { processed: 0, duplicate: 0, in_flight: 0, failed: 0, poison: 0 },
    sideEffects: { inserted: 0, conflict: 0 },
    dedupMsTotal: 0,
    sideEffectMsTotal: 0,
  };
  const timesSeen = new Map<string, number>();
  const count = (outcome: Outcome) => {
    stats.outcomes[outcome]++;
    messages.inc({ outcome });
  };

  /** Run the message through dedup and the side effect; true if it should be acked. */
  const handle = async (message: OrderMessage): Promise<boolean> => {
    const started = performance.now();
    const verdict = await o.deduper.begin(message.messageId);
    const dedupMs = performance.now() - started;
    stats.dedupMsTotal += dedupMs;
    dedupSeconds.observe({ strategy: o.deduper.strategy }, dedupMs / 1000);
    if (verdict === 'duplicate') {
      count('duplicate');
      return true;
    }
    if (verdict === 'in-flight') {
      count('in_flight');
      if (o.dangerouslyAckInFlight) return true;
      // Another delivery holds the claim. It may finish (this copy then comes back as a
      // duplicate) or its consumer may have died (the claim expires and this copy runs).
      // Never ack work not known to be done: back off a little, then requeue.
      await sleep(o.inFlightRetryMs);
      return false;
    }
    try {
      const effectStarted = performance.now();
      const result = await o.sideEffect(message);
      stats.sideEffectMsTotal += performance.now() - effectStarted;
      stats.sideEffects[result]++;
      sideEffects.inc({ result });
      await o.deduper.commit(message.messageId);
      count('processed');
      return true;
    } catch (err) {
      count('failed');
      o.logger.warn({ err, messageId: message.messageId }, 'side effect failed: requeued');
      await o.deduper.abort(message.messageId).catch(() => {});
      return false;
    }
  };

  let inFlight = 0;
  let stopping = false;
  // After stop() closed the channel, ack/nack throw; the broker requeues the message anyway.
  const settle = (channel: Channel, msg: ConsumeMessage, how: 'ack' | 'requeue' | 'drop') => {
    if (stopping && how !== 'ack') return;
    try {
      if (how === 'ack') channel.ack(msg);
      else channel.nack(msg, false, how === 'requeue');
      if (how !== 'requeue') stats.settled++;
    } catch (err) {
      o.logger.warn({ err }, 'could not settle a delivery: the broker will redeliver it');
    }
  };

  const onMessage = (channel: Channel) => async (msg: ConsumeMessage | null) => {
    if (msg === null) return; // the queue was deleted under us
    inFlight++;
    try {
      await onDelivery(channel, msg);
    } finally {
      inFlight--;
    }
  };

  const onDelivery = async (channel: Channel, msg: ConsumeMessage) => {
    stats.deliveries++;
    if (msg.fields.redelivered) stats.redelivered++;
    deliveries.inc({ redelivered: String(msg.fields.redelivered) });
    const message = parseOrderMessage(msg.content);
    if (!message) {
      count('poison');
      o.logger.warn({ deliveryTag: msg.fields.deliveryTag }, 'not an order event: dropped');
      settle(channel, msg, 'drop');
      return;
    }
    let ack: boolean;
    try {
      ack = await handle(message);
    } catch (err) {
      // Redis or Postgres is unreachable: leave the message to a later delivery.
      o.logger.warn({ err, messageId: message.messageId }, 'dedup failed: requeued');
      ack = false;
    }
    if (!ack) {
      settle(channel, msg, 'requeue');
      return;
    }
    if (o.redeliverTimes > 0) {
      const publishId = String(msg.properties.headers?.[PUBLISH_ID_HEADER] ?? message.messageId);
      const seen = (timesSeen.get(publishId) ?? 0) + 1;
      if (seen <= o.redeliverTimes) {
        // The fault: the work is done but the ack never reaches the broker.
        timesSeen.set(publishId, seen);
        stats.injectedNacks++;
        injected.inc();
        settle(channel, msg, 'requeue');
        return;
      }
      timesSeen.delete(publishId);
    }
    settle(channel, msg, 'ack');
  };

  const watch =
    o.watch ??
    ((channel: Channel) =>
      channel.on('error', (err: Error) => o.logger.warn({ err }, 'consumer channel error')));
  let channels: { channel: Channel; consumerTag: string }[] = [];
  const consumeOn = async (connection: ChannelModel) => {
    const opened: typeof channels = [];
    for (let i = 0; i < o.consumers; i++) {
      const channel = await connection.createChannel();
      watch(channel, `consumer-${i}`);
      await channel.prefetch(o.prefetch);
      const handler = onMessage(channel);
      const { consumerTag } = await channel.consume(o.queue, (msg) => void handler(msg), {
        noAck: false,
      });
      opened.push({ channel, consumerTag });
    }
    channels = opened;
  };
  await consumeOn(o.connection);

  return {
    stats: () => structuredClone(stats),
    resume: consumeOn,
    async stop(drainTimeoutMs = 5_000) {
      // Take no new deliveries, let the handlers running finish and settle, then close:
      // whatever is still unacked goes back to the queue when its channel closes.
      await Promise.all(channels.map((c) => c.channel.cancel(c.consumerTag).catch(() => {})));
      await waitFor(() => inFlight === 0, {
        timeoutMs: drainTimeoutMs,
        description: 'in-flight deliveries to finish',
      }).catch(() => o.logger.warn({ inFlight }, 'stopped with deliveries still in flight'));
      stopping = true;
      await Promise.all(channels.map((c) => c.channel.close().catch(() => {})));
    },
  };
}
