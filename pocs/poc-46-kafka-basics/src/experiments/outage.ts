import { randomBytes, randomUUID } from 'node:crypto';
import { type Logger, silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { sleep, waitFor } from '@pocs/shared/wait';
import { buildApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { describeLag, totalLag } from '../kafka.ts';
import { countByOrderId, type ExactlyOnceReport, missingOrderIds } from '../store.ts';
import { type PrivateBroker, startPrivateBroker } from './private-broker.ts';

/** One service instance under test: a label and the env that makes it broken or fixed. */
export interface Twin {
  label: string;
  env: Record<string, string>;
}

export const FIXED: Twin = { label: '202 after the broker ack', env: {} };
export const ACK_BEFORE_SEND: Twin = {
  label: '202 before the ack (BREAK_ACK_BEFORE_SEND)',
  env: { BREAK_ACK_BEFORE_SEND: '1' },
};
export const NO_UNIQUE: Twin = {
  label: '202 after the ack, no unique order_id (BREAK_NO_UNIQUE_ORDER_ID)',
  env: { BREAK_NO_UNIQUE_ORDER_ID: '1' },
};

export interface OutageOptions {
  port: number;
  stateName: string;
  twins: Twin[];
  /** Concurrent clients per twin; each posts one order at a time. */
  clients: number;
  /** Pause between one client's orders, in ms. */
  orderIntervalMs: number;
  /** Traffic before the broker stops, in ms. */
  warmupMs: number;
  /** How long the broker stays down after its process exited, in ms. */
  downMs: number;
  /** Traffic after the broker is back, in ms. */
  afterMs: number;
  /** POST /orders waits this long for the broker ack before 503 (the fixed twin). */
  produceTimeoutMs: number;
  /** A 503'd order is retried (same orderId) after this long. */
  clientRetryMs: number;
  partitions: number;
  postgresUrl?: string;
  /** Progress lines; silent by default. */
  log?: (line: string) => void;
  logger?: Logger;
}

export interface TwinResult extends ExactlyOnceReport {
  label: string;
  /** Distinct orders the clients tried to place. */
  attempted: number;
  /** Orders answered 202: the service promised to keep them. */
  acknowledged: number;
  /** 503 answers (the client kept the order and retried it). */
  rejected: number;
  /** Orders still not acknowledged when the run ended (the client would retry further). */
  givenUp: number;
  /** Longest time without a single 202, in ms: how long the outage blocked orders. */
  longestGapMs: number;
  /** The last 202 before and the first 202 after that gap, in ms since traffic started. */
  gapFromMs: number;
  gapToMs: number;
  /** Records on the topic (sum of log-end offsets) vs rows in Postgres. */
  records: number;
  rows: number;
  /** 503'd sends the broker acknowledged later: the client's retry made a second record. */
  lateAcks: number;
  /** Sends already answered 202 that failed (BREAK_ACK_BEFORE_SEND): the lost orders. */
  unconfirmedFailed: number;
  duplicatesSuppressed: number;
  consumerCrashes: number;
  /** Per second since traffic started: orders answered 202, and of those, lost. */
  timeline: Array<{ second: number; accepted: number; lost: number }>;
}

export interface OutageResult {
  brokers: string;
  /** From the stop request until the broker process had exited, in ms. */
  stopMs: number;
  /** From the start request until the broker answered metadata again, in ms. */
  startMs: number;
  /** Broker unavailable (stop requested → healthy again), ms after traffic started. */
  downFromMs: number;
  downToMs: number;
  twins: TwinResult[];
}

interface ClientLedger {
  attempted: Set<string>;
  /** orderId → when its 202 came, in ms since traffic started. */
  acked: Map<string, number>;
  rejected: number;
}

const msSince = (t0: number) => Math.round(performance.now() - t0);

/** The longest stretch between consecutive 202s (from the start of traffic). */
export function longestGap(sortedTimes: readonly number[]): { from: number; to: number } {
  let best = { from: 0, to: sortedTimes[0] ?? 0 };
  for (let k = 1; k < sortedTimes.length; k++) {
    const from = sortedTimes[k - 1]!;
    const to = sortedTimes[k]!;
    if (to - from > best.to - best.from) best = { from, to };
  }
  return best;
}

/**
 * Orders flow into every twin at once while a private broker is stopped and started
 * again; then, per twin, count in Postgres every order that was answered 202.
 */
export async function runOutageExperiment(o: OutageOptions): Promise<OutageResult> {
  const log = o.log ?? (() => {});
  const id = randomBytes(3).toString('hex');
  log(`starting a private broker on 127.0.0.1:${o.port} (state .services/${o.stateName})`);
  const broker: PrivateBroker = await startPrivateBroker({ port: o.port, stateName: o.stateName });
  const apps: Array<Awaited<ReturnType<typeof buildApp>>> = [];
  try {
    const configs = o.twins.map((twin, i) =>
      loadConfig({
        ...process.env,
        ...(o.postgresUrl ? { POSTGRES_URL: o.postgresUrl } : {}),
        KAFKA_BROKERS: broker.brokers,
        TOPIC: `poc46.outage.${id}.${i}`,
        CONSUMER_GROUP: `poc46-outage-${id}-${i}`,
        DB_SCHEMA: `poc46_outage_${id}_${i}`,
        TOPIC_PARTITIONS: String(o.partitions),
        PRODUCE_TIMEOUT_MS: String(o.produceTimeoutMs),
        ...twin.env,
      }),
    );
    for (const config of configs) {
      apps.push(
        await buildApp(config, {
          logger: o.logger ?? silentLogger,
          registry: createRegistry({ defaultMetrics: false }),
          dropOnClose: true,
        }),
      );
    }

    const ledgers: ClientLedger[] = o.twins.map(() => ({
      attempted: new Set(),
      acked: new Map(),
      rejected: 0,
    }));
    const t0 = performance.now();
    let stopping = false;
    let giveUpAt = Number.POSITIVE_INFINITY;
    const client = async (twin: number, n: number) => {
      const app = apps[twin]!.app;
      const ledger = ledgers[twin]!;
      let seq = 0;
      while (!stopping) {
        const order = {
          orderId: randomUUID(),
          customerId: `customer-${n}-${seq++ % 7}`,
          amountCents: 100 + seq,
        };
        ledger.attempted.add(order.orderId);
        // A well-behaved client: a 503 means "not accepted", so it retries the same order.
        while (performance.now() < giveUpAt) {
          const r = await app.inject({ method: 'POST', url: '/orders', payload: order });
          if (r.statusCode === 202) {
            ledger.acked.set(order.orderId, performance.now() - t0);
            break;
          }
          if (r.statusCode !== 503) throw new Error(`unexpected ${r.statusCode}: ${r.body}`);
          ledger.rejected++;
          await sleep(o.clientRetryMs);
        }
        await sleep(o.orderIntervalMs);
      }
    };
    const clients = o.twins.flatMap((_, twin) =>
      Array.from({ length: o.clients }, (_, n) => client(twin, n)),
    );

    await sleep(o.warmupMs);
    const downFromMs = msSince(t0);
    log(`t=${downFromMs} ms: stopping the broker (SIGTERM), traffic continues`);
    await broker.stop();
    const stopMs = msSince(t0) - downFromMs;
    log(`t=${msSince(t0)} ms: broker process exited after ${stopMs} ms; down for ${o.downMs} ms`);
    await sleep(o.downMs);
    const startFrom = msSince(t0);
    await broker.start();
    const downToMs = msSince(t0);
    const startMs = downToMs - startFrom;
    log(`t=${downToMs} ms: broker answers again (start took ${startMs} ms)`);
    await sleep(o.afterMs);
    stopping = true;
    // Orders in a retry loop get a last chance to be accepted, then the client gives up.
    giveUpAt = performance.now() + 15_000;
    await Promise.all(clients);
    log(`t=${msSince(t0)} ms: traffic stopped; waiting for every send and the consumers`);

    const twins: TwinResult[] = [];
    for (const [i, twin] of o.twins.entries()) {
      const t = apps[i]!;
      const config = configs[i]!;
      const ledger = ledgers[i]!;
      await t.producer.settled();
      const caughtUp = await waitFor(
        async () => {
          const lags = await describeLag(t.admin, config.TOPIC, config.CONSUMER_GROUP);
          return totalLag(lags) === 0 ? lags : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, description: `lag 0 on ${config.TOPIC}` },
      );
      const ackedIds = [...ledger.acked.keys()];
      const report = await countByOrderId(t.pool, t.db, ackedIds);
      const lost = await missingOrderIds(t.pool, t.db, ackedIds);
      const { rows } = await t.pool.query<{ n: number }>(
        `select count(*)::int as n from ${t.db.orders}`,
      );
      const producer = t.producer.stats();
      const consumer = t.consumer!.stats();
      const ackTimes = [...ledger.acked.values()].sort((a, b) => a - b);
      const gap = longestGap(ackTimes);
      const seconds = Math.floor(msSince(t0) / 1000) + 1;
      const timeline = Array.from({ length: seconds }, (_, second) => ({
        second,
        accepted: 0,
        lost: 0,
      }));
      for (const at of ackTimes) timeline[Math.floor(at / 1000)]!.accepted++;
      for (const orderId of lost) timeline[Math.floor(ledger.acked.get(orderId)! / 1000)]!.lost++;
      twins.push({
        label: twin.label,
        ...report,
        attempted: ledger.attempted.size,
        acknowledged: ledger.acked.size,
        rejected: ledger.rejected,
        givenUp: ledger.attempted.size - ledger.acked.size,
        longestGapMs: Math.round(gap.to - gap.from),
        gapFromMs: Math.round(gap.from),
        gapToMs: Math.round(gap.to),
        records: caughtUp.reduce((s, p) => s + p.high, 0),
        rows: rows[0]!.n,
        lateAcks: producer.lateAcks,
        unconfirmedFailed: producer.unconfirmedFailed,
        duplicatesSuppressed: consumer.duplicatesSuppressed,
        consumerCrashes: consumer.crashes,
        timeline,
      });
    }
    return { brokers: broker.brokers, stopMs, startMs, downFromMs, downToMs, twins };
  } finally {
    for (const t of apps) await t.app.close().catch(() => {});
    await broker.destroy();
    log('cleaned up: apps closed, topics, groups and schemas deleted, private broker stopped');
  }
}
