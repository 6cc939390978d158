import { Consumer, MessagesStreamModes } from '@platformatic/kafka';
import { createKafka, parseBrokers, uniqueName } from '@pocs/kafka';
import { sleep } from '@pocs/shared/wait';
import type { Admin } from 'kafkajs';
import type { ConsumerCase } from './cases.ts';
import { type RoundResult, roundResult } from './run-producer.ts';

/**
 * Counts messages from the first one received (group join and first fetch excluded, as
 * the Java tool's fetch.nMsg.sec does) until all are read or the window closes.
 */
function createMeter({ total, durationMs }: { total: number; durationMs: number }) {
  let first = 0;
  let last = 0;
  let count = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  return {
    done,
    tick() {
      const now = performance.now();
      if (count === 0) first = now;
      count++;
      last = now;
      if (count >= total || now - first >= durationMs) resolveDone();
    },
    result(messageBytes: number): RoundResult {
      const seconds = Math.max(last - first, 1) / 1000;
      return roundResult(count, count * messageBytes, seconds);
    },
  };
}

export async function runNodeConsumer(
  c: ConsumerCase,
  {
    brokers,
    admin,
    topic,
    total,
    messageBytes,
    durationMs,
    timeoutMs = 60_000,
  }: {
    brokers: string;
    admin: Admin;
    topic: string;
    total: number;
    messageBytes: number;
    durationMs: number;
    timeoutMs?: number;
  },
): Promise<RoundResult> {
  const groupId = uniqueName(`poc50-bench-${c.id}`);
  const meter = createMeter({ total, durationMs });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${c.id}: not done within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    if (c.client === 'kafkajs') {
      const consumer = createKafka({ brokers, clientId: `poc50-bench-${c.id}` }).consumer({
        groupId,
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        partitionsConsumedConcurrently: c.partitionsConsumedConcurrently,
        eachMessage: async () => {
          if (c.workMs > 0) await sleep(c.workMs);
          meter.tick();
        },
      });
      try {
        await Promise.race([meter.done, timeout]);
      } finally {
        await consumer.disconnect();
      }
      return meter.result(messageBytes);
    }
    if (c.client === 'platformatic') {
      const consumer = new Consumer({
        clientId: `poc50-bench-${c.id}`,
        groupId,
        bootstrapBrokers: parseBrokers(brokers),
      });
      const stream = await consumer.consume({
        topics: [topic],
        mode: MessagesStreamModes.EARLIEST,
        autocommit: true,
      });
      stream.on('data', () => meter.tick());
      try {
        await Promise.race([meter.done, timeout]);
      } finally {
        await stream.close();
        await consumer.close(true);
      }
      return meter.result(messageBytes);
    }
    throw new Error(`runNodeConsumer cannot run ${c.client}`);
  } finally {
    clearTimeout(timer);
    timeout.catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {});
  }
}
