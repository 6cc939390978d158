import { Producer } from '@platformatic/kafka';
import { createKafka, parseBrokers } from '@pocs/kafka';
import { Partitioners } from 'kafkajs';
import { kafkajsCompression } from '../../codecs.ts';
import type { ProducerCase } from './cases.ts';
import { makePayloads } from './payload.ts';

export interface RoundResult {
  messages: number;
  bytes: number;
  seconds: number;
  msgsPerSec: number;
  mbPerSec: number;
}

export const roundResult = (messages: number, bytes: number, seconds: number): RoundResult => ({
  messages,
  bytes,
  seconds: Number(seconds.toFixed(3)),
  msgsPerSec: Math.round(messages / seconds),
  mbPerSec: Number((bytes / seconds / 1_048_576).toFixed(2)),
});

/**
 * Keep `inFlight` send() loops busy for `durationMs`, counting only acknowledged
 * messages. Time-boxed rather than count-boxed, so a slow configuration cannot blow the
 * bench's time budget and a fast one still runs long enough to measure.
 */
async function timeBoxed(
  durationMs: number,
  inFlight: number,
  batchSize: number,
  send: (offset: number) => Promise<unknown>,
): Promise<{ messages: number; seconds: number }> {
  let messages = 0;
  let offset = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const loop = async () => {
    while (performance.now() < deadline) {
      const at = offset;
      offset += batchSize;
      await send(at);
      messages += batchSize;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return { messages, seconds: (performance.now() - started) / 1000 };
}

export async function runNodeProducer(
  c: ProducerCase,
  { brokers, topic, durationMs }: { brokers: string; topic: string; durationMs: number },
): Promise<RoundResult> {
  const payloads = makePayloads(c.payload, c.messageBytes);
  const slice = <T>(items: T[], offset: number): T[] =>
    Array.from({ length: c.batchSize }, (_, i) => items[(offset + i) % items.length]!);

  if (c.client === 'kafkajs') {
    const producer = createKafka({ brokers, clientId: `poc50-bench-${c.id}` }).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    const messages = payloads.map((value) => ({ value }));
    const send = (offset: number) =>
      producer.send({
        topic,
        messages: slice(messages, offset),
        acks: c.acks,
        compression: kafkajsCompression[c.compression],
      });
    try {
      await send(0); // metadata and connections, outside the timed window
      const { messages: n, seconds } = await timeBoxed(durationMs, c.inFlight, c.batchSize, send);
      return roundResult(n, n * c.messageBytes, seconds);
    } finally {
      await producer.disconnect();
    }
  }

  if (c.client === 'platformatic') {
    const producer = new Producer({
      clientId: `poc50-bench-${c.id}`,
      bootstrapBrokers: parseBrokers(brokers),
      acks: c.acks,
      compression: c.compression,
    });
    const messages = payloads.map((value) => ({ topic, value }));
    const send = (offset: number) => producer.send({ messages: slice(messages, offset) });
    try {
      await send(0);
      const { messages: n, seconds } = await timeBoxed(durationMs, c.inFlight, c.batchSize, send);
      return roundResult(n, n * c.messageBytes, seconds);
    } finally {
      await producer.close();
    }
  }
  throw new Error(`runNodeProducer cannot run ${c.client}`);
}
