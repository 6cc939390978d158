import type { Logger } from '@pocs/shared/log';
import {
  Counter,
  Gauge,
  Histogram,
  latencyBucketsSeconds,
  type Registry,
} from '@pocs/shared/metrics';
import { type Kafka, Partitioners, type Producer } from 'kafkajs';
import { ProduceFailedError, ProduceTimeoutError } from './errors.ts';
import { encodeOrderEvent, keyFor, type OrderRequest } from './order.ts';

export interface Acknowledged {
  partition: number;
  offset: string;
}

export interface ProducerStats {
  acked: number;
  failed: number;
  timedOut: number;
  /** Sends answered 503 (timeout) that the broker acknowledged afterwards: a retry duplicates them. */
  lateAcks: number;
  /** BREAK_ACK_BEFORE_SEND only: orders answered 202 whose send is still running. */
  unconfirmedInFlight: number;
  /** BREAK_ACK_BEFORE_SEND only: orders answered 202 whose send then failed: lost. */
  unconfirmedFailed: number;
  unconfirmedDelivered: number;
}

export interface OrderProducer {
  /** Resolve only after the broker acknowledged (acks per config); reject otherwise. */
  send(order: OrderRequest): Promise<Acknowledged>;
  /** BREAK_ACK_BEFORE_SEND: start the send and return at once; a failure is only logged. */
  sendUnconfirmed(order: OrderRequest): void;
  stats(): ProducerStats;
  /** Wait until no unconfirmed send is running (each one ends: delivered or failed). */
  settled(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * One kafkajs producer for the process. With acks=-1 it is idempotent: the broker drops
 * a retried batch it already wrote (producer id + sequence number), so kafkajs' own
 * retries never duplicate a record. It cannot stop the duplicates a client retry makes.
 */
export async function createOrderProducer(o: {
  kafka: Kafka;
  topic: string;
  acks: -1 | 1;
  retries: number;
  timeoutMs: number;
  registry: Registry;
  logger: Logger;
}): Promise<OrderProducer> {
  const idempotent = o.acks === -1;
  const producer: Producer = o.kafka.producer({
    idempotent,
    // The idempotent producer keeps order with one in-flight request per broker in kafkajs.
    maxInFlightRequests: idempotent ? 1 : 5,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: o.retries, initialRetryTime: 300, maxRetryTime: 5_000 },
  });
  await producer.connect();

  const duration = new Histogram({
    name: 'orders_produce_duration_seconds',
    help: 'Time from send to the broker ack (or failure), in seconds, by outcome',
    labelNames: ['outcome'],
    buckets: latencyBucketsSeconds,
    registers: [o.registry],
  });
  const unconfirmed = new Counter({
    name: 'orders_unconfirmed_sends_total',
    help: 'BREAK_ACK_BEFORE_SEND: sends already answered 202, by result (delivered, failed = an acknowledged order lost)',
    labelNames: ['result'],
    registers: [o.registry],
  });
  const unconfirmedGauge = new Gauge({
    name: 'orders_unconfirmed_sends_in_flight',
    help: 'BREAK_ACK_BEFORE_SEND: orders answered 202 whose send has not finished (held in memory only)',
    registers: [o.registry],
  });
  const stats: ProducerStats = {
    acked: 0,
    failed: 0,
    timedOut: 0,
    lateAcks: 0,
    unconfirmedInFlight: 0,
    unconfirmedFailed: 0,
    unconfirmedDelivered: 0,
  };
  const inFlight = new Set<Promise<unknown>>();

  const rawSend = async (order: OrderRequest): Promise<Acknowledged> => {
    const [meta] = await producer.send({
      topic: o.topic,
      acks: o.acks,
      messages: [{ key: keyFor(order), value: JSON.stringify(encodeOrderEvent(order)) }],
    });
    if (!meta) throw new Error('the broker returned no record metadata');
    const offset = (meta as { baseOffset?: string }).baseOffset ?? meta.offset;
    return { partition: meta.partition, offset: String(offset) };
  };

  return {
    async send(order) {
      const started = performance.now();
      const observe = (outcome: string) =>
        duration.observe({ outcome }, (performance.now() - started) / 1000);
      let answered = false;
      const sending = rawSend(order).then(
        (ack) => {
          if (answered) stats.lateAcks++;
          return ack;
        },
        (err: unknown) => {
          throw new ProduceFailedError(err);
        },
      );
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ProduceTimeoutError(o.timeoutMs)), o.timeoutMs);
      });
      try {
        const ack = await Promise.race([sending, deadline]);
        stats.acked++;
        observe('acked');
        return ack;
      } catch (err) {
        answered = true;
        sending.catch(() => {}); // a late failure after the timeout is expected, not unhandled
        if (err instanceof ProduceTimeoutError) {
          stats.timedOut++;
          observe('timeout');
        } else {
          stats.failed++;
          observe('failed');
        }
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },

    sendUnconfirmed(order) {
      stats.unconfirmedInFlight++;
      unconfirmedGauge.inc();
      const p = rawSend(order)
        .then(
          () => {
            stats.unconfirmedDelivered++;
            unconfirmed.inc({ result: 'delivered' });
          },
          (err: unknown) => {
            stats.unconfirmedFailed++;
            unconfirmed.inc({ result: 'failed' });
            // The caller already has its 202: nobody will ever retry this order.
            o.logger.error(
              { err, orderId: order.orderId },
              'acknowledged order lost: send failed after the 202',
            );
          },
        )
        .finally(() => {
          stats.unconfirmedInFlight--;
          unconfirmedGauge.dec();
          inFlight.delete(p);
        });
      inFlight.add(p);
    },

    stats: () => ({ ...stats }),

    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },

    async disconnect() {
      await producer.disconnect();
    },
  };
}
