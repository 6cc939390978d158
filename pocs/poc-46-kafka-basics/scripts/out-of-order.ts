/**
 * Message out-of-order processing, reproduced on a real broker, then fixed.
 *
 *   pnpm --filter poc-46 out-of-order [--part all --rounds 3 --events 1200 --seed 46]
 *
 * Producer part: a private broker behind toxiproxy; three windows in which the broker's
 * responses are held 2000 ms, longer than the client's 1000 ms request timeout. kafkajs
 * times those requests out and sends them again although the broker wrote them.
 * Consumer part (shared broker): 20 keys × 25 events, handled with 0–20 ms of latency each.
 *
 * Steady state (the hypothesis): with the fixes, 0 events per key arrive or apply with a
 * sequence lower than one already seen: an idempotent producer with one send in flight
 * (1200 events, 0 out of order, 0 duplicates) and per-key serial processing (500 events,
 * 0 applied out of order). Without them each is > 0: concurrent non-idempotent sends write
 * every timed-out request twice, the copy after later events; Promise.all over a batch
 * applies later events of a key before earlier ones.
 */

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderLineChart, type Series } from '@pocs/shared/chart';
import { intFlag, parseResultsCli } from '@pocs/shared/cli';
import { writeResult } from '@pocs/shared/results';
import { localKafkaVersion, toxiproxyVersion } from '@pocs/shared/service-versions';
import { medianOfFields } from '@pocs/shared/stats';
import { printTable } from '@pocs/shared/table';
import { loadOutOfOrderConfig } from '../src/experiments/out-of-order/config.ts';
import {
  CONSUMER_MODES,
  type ConsumerRunResult,
  runConsumerConcurrency,
} from '../src/experiments/out-of-order/consumer-concurrency.ts';
import { startPrivateBroker } from '../src/experiments/out-of-order/private-broker.ts';
import {
  PRODUCER_MODES,
  type ProducerRunResult,
  runProducerRetries,
} from '../src/experiments/out-of-order/producer-retries.ts';

const here = dirname(fileURLToPath(import.meta.url));
const pocDir = resolve(here, '..');
const repoRoot = resolve(pocDir, '../..');
const config = loadOutOfOrderConfig();
const parts = ['producer', 'consumer', 'all'] as const;

const args = parseResultsCli(
  `usage: pnpm --filter poc-46 out-of-order [options]   (env in brackets)
  --part             producer | consumer | all (default all; results are written only for all)
  --rounds           rounds per mode; the JSON reports medians (default ${config.OOO_ROUNDS}) [OOO_ROUNDS]
  --seed             seed of the consumer's handler latencies (default ${config.OOO_SEED}) [OOO_SEED]
  --keys             keys (default ${config.OOO_KEYS}) [OOO_KEYS]
  --partitions       partitions of each topic (default ${config.OOO_PARTITIONS}) [OOO_PARTITIONS]
 producer part (private broker on 127.0.0.1:${config.OOO_BROKER_PORT} behind toxiproxy 127.0.0.1:${config.OOO_PROXY_PORT}):
  --events           events produced per mode (default ${config.OOO_EVENTS}) [OOO_EVENTS]
  --rate             events per second, open loop (default ${config.OOO_RATE_PER_SEC}) [OOO_RATE_PER_SEC]
  --request-timeout  kafkajs requestTimeout, ms (default ${config.OOO_REQUEST_TIMEOUT_MS}) [OOO_REQUEST_TIMEOUT_MS]
  --latency          response latency injected, ms (default ${config.OOO_LATENCY_MS}) [OOO_LATENCY_MS]
  --window           how long each latency window lasts, ms (default ${config.OOO_WINDOW_MS}) [OOO_WINDOW_MS]
  --windows          latency windows per run (default ${config.OOO_WINDOWS}) [OOO_WINDOWS]
 consumer part (shared broker ${config.KAFKA_BROKERS.join(',')}):
  --events-per-key   events per key (default ${config.OOO_EVENTS_PER_KEY}) [OOO_EVENTS_PER_KEY]
  --max-latency      max handler latency per message, ms (default ${config.OOO_MAX_HANDLER_LATENCY_MS}) [OOO_MAX_HANDLER_LATENCY_MS]`,
  {
    part: { type: 'string', default: 'all' },
    rounds: { type: 'string', default: String(config.OOO_ROUNDS) },
    seed: { type: 'string', default: String(config.OOO_SEED) },
    keys: { type: 'string', default: String(config.OOO_KEYS) },
    partitions: { type: 'string', default: String(config.OOO_PARTITIONS) },
    events: { type: 'string', default: String(config.OOO_EVENTS) },
    rate: { type: 'string', default: String(config.OOO_RATE_PER_SEC) },
    'request-timeout': { type: 'string', default: String(config.OOO_REQUEST_TIMEOUT_MS) },
    latency: { type: 'string', default: String(config.OOO_LATENCY_MS) },
    window: { type: 'string', default: String(config.OOO_WINDOW_MS) },
    windows: { type: 'string', default: String(config.OOO_WINDOWS) },
    'events-per-key': { type: 'string', default: String(config.OOO_EVENTS_PER_KEY) },
    'max-latency': { type: 'string', default: String(config.OOO_MAX_HANDLER_LATENCY_MS) },
  },
);
const part = args.part as (typeof parts)[number];
if (!parts.includes(part)) {
  console.error(`--part must be one of ${parts.join(', ')}, got "${args.part}"`);
  process.exit(2);
}
const settings = {
  rounds: intFlag('rounds', args.rounds),
  seed: intFlag('seed', args.seed, 0),
  keys: intFlag('keys', args.keys),
  partitions: intFlag('partitions', args.partitions),
  events: intFlag('events', args.events),
  ratePerSec: intFlag('rate', args.rate),
  requestTimeoutMs: intFlag('request-timeout', args['request-timeout']),
  latencyMs: intFlag('latency', args.latency),
  windowMs: intFlag('window', args.window),
  windows: intFlag('windows', args.windows),
  eventsPerKey: intFlag('events-per-key', args['events-per-key']),
  maxLatencyMs: intFlag('max-latency', args['max-latency'], 0),
};
if (
  settings.latencyMs <= settings.requestTimeoutMs ||
  settings.windowMs <= settings.requestTimeoutMs
) {
  console.warn(
    `note: --latency ${settings.latencyMs} and --window ${settings.windowMs} must both exceed ` +
      `--request-timeout ${settings.requestTimeoutMs}, or no request times out and nothing is retried`,
  );
}
const consumerEvents = settings.keys * settings.eventsPerKey;

console.log(
  `Hypothesis: with an idempotent producer and one send in flight, ${settings.events} events ` +
    `produced through ${settings.windows} windows of ${settings.latencyMs} ms response latency ` +
    `(request timeout ${settings.requestTimeoutMs} ms) arrive with 0 out-of-order and 0 duplicate ` +
    `events per key; with per-key serial processing, ${consumerEvents} events apply with 0 out of ` +
    `order. Without the fixes both counts are > 0.\n`,
);

const table = (rows: Record<string, Record<string, unknown>>) => printTable(rows);
const counts = (r: ProducerRunResult | ConsumerRunResult) => ({
  events: r.events,
  'out of order': r.outOfOrder,
  duplicates: r.duplicates,
  'reordered 1st deliveries': r.reorderedFirstDeliveries,
  missing: r.missing,
  'keys affected': `${r.keysAffected}/${settings.keys}`,
});
const withoutCurve = <T extends { curve: unknown }>({ curve: _curve, ...rest }: T) => rest;

const producerRounds: ProducerRunResult[][] = [];
if (part !== 'consumer') {
  const brokerAddress = `127.0.0.1:${config.OOO_BROKER_PORT}`;
  const proxyAddress = `127.0.0.1:${config.OOO_PROXY_PORT}`;
  console.log(
    `starting a private broker on ${brokerAddress}, advertised as toxiproxy ${proxyAddress}…`,
  );
  const broker = await startPrivateBroker({
    brokerPort: config.OOO_BROKER_PORT,
    proxyAddress,
    stateDir: join(repoRoot, '.services', 'poc-46-ooo'),
    toxiproxyUrl: config.TOXIPROXY_URL,
  });
  try {
    for (let round = 1; round <= settings.rounds; round++) {
      const results: ProducerRunResult[] = [];
      for (const mode of PRODUCER_MODES) {
        results.push(
          await runProducerRetries({
            brokers: broker.brokers,
            proxy: broker.proxy,
            mode,
            events: settings.events,
            keys: settings.keys,
            partitions: settings.partitions,
            ratePerSec: settings.ratePerSec,
            requestTimeoutMs: settings.requestTimeoutMs,
            slowResponses: {
              windows: settings.windows,
              windowMs: settings.windowMs,
              latencyMs: settings.latencyMs,
            },
          }),
        );
      }
      producerRounds.push(results);
      console.log(
        `\nProducer, round ${round}/${settings.rounds}: injected ${settings.windows} × ${settings.windowMs} ms of ` +
          `${settings.latencyMs} ms response latency`,
      );
      table(
        Object.fromEntries(
          results.map((r) => [
            r.mode,
            { 'request timeouts': r.requestTimeouts, 'send errors': r.sendErrors, ...counts(r) },
          ]),
        ),
      );
    }
  } finally {
    await broker.stop();
  }
}

const consumerRounds: ConsumerRunResult[][] = [];
if (part !== 'producer') {
  const brokers = config.KAFKA_BROKERS;
  for (let round = 1; round <= settings.rounds; round++) {
    const results: ConsumerRunResult[] = [];
    for (const mode of CONSUMER_MODES) {
      results.push(
        await runConsumerConcurrency({
          brokers,
          mode,
          keys: settings.keys,
          eventsPerKey: settings.eventsPerKey,
          partitions: settings.partitions,
          maxLatencyMs: settings.maxLatencyMs,
          seed: settings.seed + round - 1,
        }),
      );
    }
    consumerRounds.push(results);
    console.log(
      `\nConsumer, round ${round}/${settings.rounds}: handler latency 0–${settings.maxLatencyMs} ms (seed ${settings.seed + round - 1})`,
    );
    table(
      Object.fromEntries(
        results.map((r) => [
          r.mode,
          {
            ...counts(r),
            'gaps detected': r.guard?.gapsDetected ?? '-',
            'copies dropped': r.guard?.duplicatesDropped ?? '-',
            'took ms': r.durationMs,
          },
        ]),
      ),
    );
  }
}

const medians = <R extends { mode: string; curve: unknown }>(rounds: R[][]) => {
  const modes = rounds[0]?.map((r) => r.mode) ?? [];
  return Object.fromEntries(
    modes.map((mode, i) => [
      mode,
      withoutCurve(medianOfFields(rounds.map((round) => round[i] as R))),
    ]),
  );
};
const producerMedians = medians(producerRounds);
const consumerMedians = medians(consumerRounds);

const brokenProducer = producerMedians.concurrent?.outOfOrder ?? 0;
const fixedProducer = producerRounds.flat().filter((r) => r.mode === 'idempotent-serial');
const brokenConsumer = consumerMedians.concurrent?.outOfOrder ?? 0;
const fixedConsumer = consumerRounds.flat().filter((r) => r.mode !== 'concurrent');
const fixHolds =
  fixedProducer.every((r) => r.outOfOrder === 0 && r.duplicates === 0 && r.missing === 0) &&
  fixedConsumer.every((r) => r.outOfOrder === 0 && r.missing === 0);
console.log(
  `\nMedians: producer out of order ${brokenProducer} (concurrent, not idempotent) vs ` +
    `${producerMedians['idempotent-serial']?.outOfOrder ?? '-'} (idempotent, one send in flight); ` +
    `consumer ${brokenConsumer} (Promise.all) vs ${consumerMedians['per-key-serial']?.outOfOrder ?? '-'} ` +
    `(per-key serial) and ${consumerMedians['sequence-guard']?.outOfOrder ?? '-'} (sequence guard).`,
);
console.log(
  fixHolds
    ? 'Hypothesis holds for the fixed modes.'
    : 'Hypothesis REFUTED: a fixed mode saw out-of-order, duplicate or missing events.',
);

if (part === 'all') {
  const data = {
    experiment: 'message out-of-order processing',
    settings,
    producer: {
      injected: `${settings.windows} windows of ${settings.windowMs} ms with ${settings.latencyMs} ms latency on the broker's responses (toxiproxy, downstream); kafkajs requestTimeout ${settings.requestTimeoutMs} ms`,
      medians: producerMedians,
      rounds: producerRounds.map((round) => round.map(withoutCurve)),
    },
    consumer: {
      injected: `handler latency 0–${settings.maxLatencyMs} ms per message (seeded)`,
      medians: consumerMedians,
      rounds: consumerRounds.map((round) => round.map(withoutCurve)),
    },
  };
  // The chart shows round 1: out-of-order events so far, as the log (or the apply order) is read.
  const asPercent = (r: ProducerRunResult | ConsumerRunResult): Series => ({
    name: r.mode,
    points: [[0, 0], ...r.curve.map(([x, y]): [number, number] => [(100 * x) / r.events, y])],
  });
  const chart = renderLineChart({
    title: 'Events seen with a lower per-key sequence than one already seen',
    xLabel: '% of the run’s events read (log order / apply order)',
    panels: [
      {
        title: `Producer: ${settings.windows} × ${settings.latencyMs} ms response latency > ${settings.requestTimeoutMs} ms request timeout`,
        yLabel: 'out-of-order events',
        series: (producerRounds[0] ?? []).map(asPercent),
      },
      {
        title: `Consumer: ${consumerEvents} events, 0–${settings.maxLatencyMs} ms handler latency`,
        yLabel: 'applied out of order',
        series: (consumerRounds[0] ?? []).map(asPercent),
      },
    ],
  });
  await writeResult({
    pocDir,
    poc: 'poc-46',
    bench: 'out-of-order',
    script: 'out-of-order',
    write: args.write,
    services: {
      kafka: localKafkaVersion(),
      toxiproxy: await toxiproxyVersion(config.TOXIPROXY_URL),
    },
    data,
    files: { 'out-of-order.svg': chart },
  });
} else {
  console.log('\n(results are written only with --part all)');
}
process.exitCode = fixHolds ? 0 : 1;
