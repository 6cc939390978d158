import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka, uniqueName } from '@pocs/kafka';
import { startChildService } from '@pocs/shared/child-service';
import { sleep, waitFor } from '@pocs/shared/wait';
import { type Consumer, Partitioners } from 'kafkajs';
import { createTopic, deleteTopics } from '../kafka.ts';
import type { GroupLag } from '../lag.ts';

const pocDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface BreakOptions {
  brokers: string;
  /** Messages per second the producer sends, in 10 ticks a second. */
  ratePerSec: number;
  partitions: number;
  /** Seconds the slow consumer runs against the producer. */
  brokenSeconds: number;
  /** Seconds the fixed consumer runs while the producer keeps going. */
  fixedSeconds: number;
  /** Cost of one downstream call (a DB write): the slow consumer makes one per message. */
  callMs: number;
  /** The fix: messages per downstream call (eachBatch) … */
  fixedBatch: number;
  /** … and partitions processed at once (partitionsConsumedConcurrently). */
  fixedConcurrency: number;
  /** Port for the lag exporter (this POC's service) the numbers are read from. */
  exporterPort: number;
  log?: (line: string) => void;
}

export interface LagSample {
  seconds: number;
  phase: 'broken' | 'fixed' | 'drain';
  produced: number;
  lagMessages: number;
}

export interface BreakResult {
  hypothesis: string;
  options: Omit<BreakOptions, 'log' | 'brokers'>;
  /** Lag the steady state allows: one second of traffic. */
  lagBudgetMessages: number;
  samples: LagSample[];
  broken: { lagAtStart: number; lagAtEnd: number; growthPerSec: number };
  fixed: { lagAtStart: number; maxLag: number; lagAtEnd: number; secondsToBudget: number | null };
  final: { produced: number; consumedDistinct: number; lagMessages: number };
}

/**
 * A producer outpacing a consumer that makes one slow call per message, one partition at
 * a time: lag grows every second. The fix — one call per batch of messages and all
 * partitions in parallel — drains it while the producer keeps going. Every lag number
 * comes from the exporter (GET /lag?group=), not from the experiment's own counters.
 */
export async function runBreak(o: BreakOptions): Promise<BreakResult> {
  const log = o.log ?? (() => {});
  const topic = uniqueName('poc50-break');
  const group = uniqueName('poc50-break-group');
  const kafka = createKafka({ brokers: o.brokers, clientId: 'poc50-break' });
  const admin = kafka.admin();
  await admin.connect();
  await createTopic(admin, topic, o.partitions);
  const exporter = await startChildService({
    entry: 'src/server.ts',
    cwd: pocDir,
    port: o.exporterPort,
    env: { KAFKA_BROKERS: o.brokers, LAG_GROUP_PATTERN: `^${group}$`, LAG_CACHE_MS: '0' },
  });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  let consumer: Consumer | undefined;
  let producing = true;
  let produced = 0;
  const seen = new Set<string>();
  const samples: LagSample[] = [];
  const started = Date.now();

  const lagNow = async (): Promise<number> => {
    const res = await fetch(`${exporter.url}/lag?group=${group}`);
    if (res.status === 404) return produced; // nothing committed yet: all of it is lag
    if (!res.ok) throw new Error(`exporter answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as GroupLag).totalLagMessages;
  };
  const sample = async (phase: LagSample['phase']) => {
    const s = {
      seconds: (Date.now() - started) / 1000,
      phase,
      produced,
      lagMessages: await lagNow(),
    };
    samples.push(s);
    log(
      `t=${s.seconds.toFixed(1).padStart(5)}s  ${phase.padEnd(6)}  produced ${String(produced).padStart(6)}  lag ${String(s.lagMessages).padStart(6)} (exporter)`,
    );
    return s;
  };
  const sampleFor = async (phase: LagSample['phase'], seconds: number) => {
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
      await sleep(1_000);
      await sample(phase);
    }
  };

  async function produceLoop() {
    const perTick = Math.max(1, Math.round(o.ratePerSec / 10));
    let next = Date.now();
    while (producing) {
      const messages = Array.from({ length: perTick }, (_, i) => ({
        value: `${produced + i}:${'x'.repeat(100)}`,
      }));
      await producer.send({ topic, messages });
      produced += perTick;
      next += 100;
      await sleep(Math.max(0, next - Date.now()));
    }
  }

  const newConsumer = async () => {
    // Small fetches so offsets are committed every few hundred messages and the lag reads smoothly.
    const c = kafka.consumer({ groupId: group, maxBytesPerPartition: 16_384 });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    return c;
  };
  const idOf = (value: Buffer | null) => value?.toString().split(':')[0] ?? '';

  let producing$: Promise<void> | undefined;
  try {
    await producer.connect();
    producing$ = produceLoop();

    log(
      `broken: one ${o.callMs} ms call per message, one partition at a time, ${o.ratePerSec} msg/s in`,
    );
    consumer = await newConsumer();
    await consumer.run({
      partitionsConsumedConcurrently: 1,
      eachMessage: async ({ message }) => {
        await sleep(o.callMs);
        seen.add(idOf(message.value));
      },
    });
    const brokenStart = await sample('broken');
    await sampleFor('broken', o.brokenSeconds);
    const brokenEnd = samples.at(-1) as LagSample;
    await consumer.disconnect();

    log(
      `fix: one ${o.callMs} ms call per ≤ ${o.fixedBatch} messages (eachBatch), ${o.fixedConcurrency} partitions at once`,
    );
    consumer = await newConsumer();
    await consumer.run({
      partitionsConsumedConcurrently: o.fixedConcurrency,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (let i = 0; i < batch.messages.length; i += o.fixedBatch) {
          if (!isRunning() || isStale()) return;
          const chunk = batch.messages.slice(i, i + o.fixedBatch);
          await sleep(o.callMs); // one call carries the whole chunk
          for (const m of chunk) seen.add(idOf(m.value));
          resolveOffset((chunk.at(-1) as { offset: string }).offset);
          await heartbeat();
        }
      },
    });
    const fixedStart = samples.at(-1) as LagSample;
    await sampleFor('fixed', o.fixedSeconds);
    producing = false;
    await producing$;
    await waitFor(async () => (await sample('drain')).lagMessages === 0, {
      timeoutMs: 60_000,
      intervalMs: 1_000,
      description: 'the fixed consumer to drain the lag to 0',
    });
    await waitFor(() => seen.size >= produced, {
      timeoutMs: 10_000,
      description: 'every message seen',
    });

    const budget = o.ratePerSec;
    const fixedSamples = samples.filter((s) => s.phase !== 'broken');
    const backInBudget = fixedSamples.find((s) => s.lagMessages <= budget);
    return {
      hypothesis: `consumer lag stays under ${budget} messages (one second of traffic at ${o.ratePerSec} msg/s)`,
      options: {
        ratePerSec: o.ratePerSec,
        partitions: o.partitions,
        brokenSeconds: o.brokenSeconds,
        fixedSeconds: o.fixedSeconds,
        callMs: o.callMs,
        fixedBatch: o.fixedBatch,
        fixedConcurrency: o.fixedConcurrency,
        exporterPort: o.exporterPort,
      },
      lagBudgetMessages: budget,
      samples,
      broken: {
        lagAtStart: brokenStart.lagMessages,
        lagAtEnd: brokenEnd.lagMessages,
        growthPerSec: Math.round(
          (brokenEnd.lagMessages - brokenStart.lagMessages) /
            (brokenEnd.seconds - brokenStart.seconds),
        ),
      },
      fixed: {
        lagAtStart: fixedStart.lagMessages,
        maxLag: Math.max(...fixedSamples.map((s) => s.lagMessages)),
        lagAtEnd: (samples.at(-1) as LagSample).lagMessages,
        secondsToBudget: backInBudget
          ? Number((backInBudget.seconds - fixedStart.seconds).toFixed(1))
          : null,
      },
      final: {
        produced,
        consumedDistinct: seen.size,
        lagMessages: (samples.at(-1) as LagSample).lagMessages,
      },
    };
  } finally {
    producing = false;
    await producing$?.catch(() => {});
    await consumer?.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    await exporter.stop();
    await admin.deleteGroups([group]).catch(() => {});
    await deleteTopics(admin, [topic]);
    await admin.disconnect();
  }
}
