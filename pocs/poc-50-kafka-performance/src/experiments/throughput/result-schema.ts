import { resultEnvelopeSchema } from '@pocs/shared/results';
import { z } from 'zod';
import { codecNames } from '../../codecs.ts';
import { clients } from './cases.ts';
import { payloadKinds } from './payload.ts';

const rate = z.number().positive();
const round = z.object({
  messages: z.number().int().positive(),
  bytes: z.number().int().positive(),
  seconds: z.number().positive(),
  msgsPerSec: rate,
  mbPerSec: z.number().nonnegative(),
});
const measured = {
  rounds: z.array(round).min(1),
  median: z.object({ msgsPerSec: rate, mbPerSec: z.number().nonnegative() }),
};
const ratio = z.number().positive().nullable();

export const producerResultSchema = z.object({
  id: z.string(),
  sweep: z.enum(['batch', 'size', 'compression', 'acks', 'tuned']),
  client: z.enum(clients),
  messageBytes: z.number().int().positive(),
  batchSize: z.number().int().nonnegative(),
  compression: z.enum(codecNames),
  acks: z.union([z.literal(-1), z.literal(0), z.literal(1)]),
  inFlight: z.number().int().positive(),
  payload: z.enum(payloadKinds),
  javaProps: z.record(z.string(), z.string()).optional(),
  /** Compressed ÷ raw size of one sample batch with this codec (1 = no gain). */
  codecRatio: z.number().positive().optional(),
  ...measured,
});

export const consumerResultSchema = z.object({
  id: z.string(),
  client: z.enum(clients),
  partitionsConsumedConcurrently: z.number().int().positive(),
  workMs: z.number().nonnegative(),
  ...measured,
});

const clientRatio = z.object({
  id: z.string(),
  msgsPerSec: rate.nullable(),
  /** ÷ kafkajs in the same shape (same messages per send; Java vs kafkajs-tuned). */
  toKafkajs: ratio,
  /** ÷ Kafka's own ProducerPerformance/ConsumerPerformance at its defaults. */
  toJava: ratio,
});

/** What the bench measured: the keys beside the results envelope. */
export const benchDataSchema = z.object({
  environment: z.object({
    node: z.string(),
    java: z.string().nullable(),
    kafkaTools: z.string().nullable(),
    kafkajs: z.string(),
    platformaticKafka: z.string(),
    brokers: z.number().int().positive(),
    bootstrap: z.string(),
    cpus: z.number().int().positive(),
  }),
  settings: z.object({
    suite: z.enum(['full', 'quick', 'smoke']),
    rounds: z.number().int().positive(),
    durationMs: z.number().int().positive(),
    partitions: z.number().int().positive(),
    consumerMessages: z.number().int().positive(),
    consumerMessageBytes: z.number().int().positive(),
  }),
  producer: z.array(producerResultSchema).min(1),
  consumer: z.array(consumerResultSchema),
  comparisons: z.object({
    tunedVsBaseline: z.object({
      baseline: rate.nullable(),
      tuned: rate.nullable(),
      ratio,
      target: z.number(),
      met: z.boolean().nullable(),
    }),
    platformaticVsKafkajs: z.array(
      z.object({ shape: z.string(), measured: ratio, published: z.number().nullable() }),
    ),
    producers: z.array(clientRatio),
    consumers: z.array(clientRatio),
  }),
});

/** A written throughput.json: the shared envelope plus the bench's data. */
export const benchResultSchema = resultEnvelopeSchema.extend({
  poc: z.literal('poc-50'),
  ...benchDataSchema.shape,
});

export type BenchData = z.infer<typeof benchDataSchema>;
export type BenchResult = z.infer<typeof benchResultSchema>;
