import { type CodecName, codecNames } from '../../codecs.ts';
import type { PayloadKind } from './payload.ts';

export const clients = ['kafkajs', 'platformatic', 'java'] as const;
export type Client = (typeof clients)[number];
export type Acks = -1 | 0 | 1;

export interface ProducerCase {
  id: string;
  /** Which question the case answers; the README groups them so. */
  sweep: 'batch' | 'size' | 'compression' | 'acks' | 'tuned';
  client: Client;
  messageBytes: number;
  /** Messages per send() call (Node clients); the Java producer batches by itself. */
  batchSize: number;
  compression: CodecName;
  acks: Acks;
  /** send() calls awaited concurrently: 1 = wait for each ack before the next send. */
  inFlight: number;
  payload: PayloadKind;
  /** Extra producer properties for the Java tool (linger.ms, batch.size). */
  javaProps?: Record<string, string>;
}

export interface ConsumerCase {
  id: string;
  client: Client;
  /** kafkajs `partitionsConsumedConcurrently`; 1 for the others (they have their own model). */
  partitionsConsumedConcurrently: number;
  /** Simulated per-message I/O (an awaited timer), so concurrency has something to overlap. */
  workMs: number;
}

const base = {
  messageBytes: 256,
  batchSize: 100,
  compression: 'none',
  acks: -1,
  inFlight: 1,
  payload: 'letters',
} as const;

/** kafkajs with one message per awaited send and every default (acks=-1): the baseline. */
export const BASELINE_ID = 'kafkajs-batch-1';
export const TUNED_ID = 'kafkajs-tuned';

export function producerCases({ java }: { java: boolean }): ProducerCase[] {
  const cases: ProducerCase[] = [];
  for (const client of ['kafkajs', 'platformatic'] as const)
    for (const batchSize of [1, 10, 100, 1_000])
      cases.push({
        ...base,
        id: `${client}-batch-${batchSize}`,
        sweep: 'batch',
        client,
        batchSize,
      });
  for (const messageBytes of [64, 1_024, 4_096])
    cases.push({
      ...base,
      id: `kafkajs-size-${messageBytes}`,
      sweep: 'size',
      client: 'kafkajs',
      messageBytes,
    });
  for (const client of ['kafkajs', 'platformatic'] as const)
    for (const compression of codecNames)
      cases.push({
        ...base,
        id: `${client}-${compression}`,
        sweep: 'compression',
        client,
        compression,
        messageBytes: 1_024,
        batchSize: 1_000,
        payload: 'json',
      });
  for (const acks of [0, 1] as const)
    cases.push({ ...base, id: `kafkajs-acks-${acks}`, sweep: 'acks', client: 'kafkajs', acks });
  // Tuned: big batches, several sends in flight, still acks=all (no durability traded away).
  for (const client of ['kafkajs', 'platformatic'] as const)
    cases.push({
      ...base,
      id: `${client}-tuned`,
      sweep: 'tuned',
      client,
      batchSize: 1_000,
      inFlight: 4,
    });
  if (java) {
    // Kafka 4.x producer defaults: acks=all, idempotence on, linger.ms=5 (0 before 4.0, KIP-1030), batch.size=16384.
    cases.push({ ...base, id: 'java-defaults', sweep: 'tuned', client: 'java', batchSize: 0 });
    cases.push({
      ...base,
      id: 'java-tuned',
      sweep: 'tuned',
      client: 'java',
      batchSize: 0,
      javaProps: { 'linger.ms': '10', 'batch.size': '262144' },
    });
  }
  return cases;
}

export function consumerCases({ java }: { java: boolean }): ConsumerCase[] {
  const cases: ConsumerCase[] = [];
  for (const workMs of [0, 1])
    for (const pcc of [1, 6])
      cases.push({
        id: `kafkajs-pcc-${pcc}-work-${workMs}ms`,
        client: 'kafkajs',
        partitionsConsumedConcurrently: pcc,
        workMs,
      });
  cases.push({
    id: 'platformatic',
    client: 'platformatic',
    partitionsConsumedConcurrently: 1,
    workMs: 0,
  });
  if (java)
    cases.push({ id: 'java', client: 'java', partitionsConsumedConcurrently: 1, workMs: 0 });
  return cases;
}

/** The smallest run: what the smoke test drives (no Java, one round, short windows). */
export function smokeCases(): { producer: ProducerCase[]; consumer: ConsumerCase[] } {
  const all = producerCases({ java: false });
  return {
    producer: all.filter((c) => c.id === BASELINE_ID || c.id === 'platformatic-batch-1'),
    consumer: consumerCases({ java: false }).filter((c) => c.id === 'kafkajs-pcc-1-work-0ms'),
  };
}
