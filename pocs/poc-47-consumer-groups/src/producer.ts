import { randomBytes } from 'node:crypto';
import { type Kafka, Partitioners } from 'kafkajs';

const CHUNK = 500;

/**
 * Produces order events with ids unique to this process (`<tag>-<seq>`), keyed by id so
 * placed round-robin over the partitions. acks=all (kafkajs default -1).
 */
export async function createOrderProducer(kafka: Kafka, topic: string, partitions: number) {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const tag = randomBytes(4).toString('hex');
  let seq = 0;
  return {
    /** `signal`: stop before the next chunk once the caller has given up. */
    async produce(
      count: number,
      signal?: AbortSignal,
    ): Promise<{ produced: number; firstId: string; lastId: string }> {
      const first = seq + 1;
      for (let sent = 0; sent < count; sent += CHUNK) {
        signal?.throwIfAborted();
        const n = Math.min(CHUNK, count - sent);
        const messages = Array.from({ length: n }, () => {
          seq++;
          const id = `${tag}-${seq}`;
          // Round-robin instead of the key hash, so every partition gets the same backlog.
          return { key: id, partition: seq % partitions, value: JSON.stringify({ id, seq }) };
        });
        await producer.send({ topic, messages });
      }
      return { produced: count, firstId: `${tag}-${first}`, lastId: `${tag}-${seq}` };
    },
    disconnect: () => producer.disconnect(),
  };
}

export type OrderProducer = Awaited<ReturnType<typeof createOrderProducer>>;
