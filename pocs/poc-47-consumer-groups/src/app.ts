import { createKafka } from '@pocs/kafka';
import { createDeadline, withinDeadline } from '@pocs/shared/deadline';
import type { Logger } from '@pocs/shared/log';
import { Counter, Gauge, type Registry } from '@pocs/shared/metrics';
import { createServer, sendProblem } from '@pocs/shared/server';
import type { ISocketFactory } from 'kafkajs';
import { z } from 'zod';
import type { Config } from './config.ts';
import { createDedupStore } from './dedup.ts';
import { describeAssignments } from './group.ts';
import { clientSettings } from './kafka.ts';
import { fetchLag } from './lag.ts';
import { createOrderProducer } from './producer.ts';
import { Supervisor } from './supervisor.ts';
import { ensureTopic } from './topic.ts';

/** The most messages one POST /produce may write. */
export const MAX_PRODUCE = 100_000;

const scaleBody = z.object({ count: z.number().int().min(1).max(100).default(1) }).strict();
const produceBody = z.object({ count: z.number().int().min(1).max(MAX_PRODUCE) }).strict();
const consumerParams = z.object({ id: z.coerce.number().int().min(1) });
const stopQuery = z.object({ signal: z.enum(['SIGTERM', 'SIGKILL']).default('SIGTERM') }).strict();

/** Parse with zod or answer 400 problem+json naming every bad field. */
function parseOr400<T>(
  schema: z.ZodType<T>,
  value: unknown,
  reply: Parameters<typeof sendProblem>[0],
): T | undefined {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  void sendProblem(reply, 400, 'invalid request', {
    errors: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
  return undefined;
}

/**
 * The consumer-group supervisor: runs N consumer processes in one group, scales them up
 * and down (gracefully or with SIGKILL), exports per-partition lag, and produces test load.
 */
export async function buildApp(
  config: Readonly<Config>,
  deps: {
    logger: Logger;
    registry: Registry;
    /** How the supervisor's Kafka connections are opened; tests route them through toxiproxy. */
    kafkaSocketFactory?: ISocketFactory;
  },
) {
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: 'poc47-supervisor',
    logger: deps.logger.child({ component: 'kafka' }),
    ...clientSettings,
    ...(deps.kafkaSocketFactory ? { socketFactory: deps.kafkaSocketFactory } : {}),
  });
  const admin = kafka.admin();
  const dedup = createDedupStore(config.REDIS_URL, config.REDIS_KEY_PREFIX, deps.logger);
  await admin.connect();
  try {
    await ensureTopic(admin, config.TOPIC, config.PARTITIONS, deps.logger);
    await dedup.connect();
  } catch (err) {
    await admin.disconnect();
    dedup.redis.disconnect();
    throw err;
  }
  const producer = await createOrderProducer(kafka, config.TOPIC, config.PARTITIONS);
  const supervisor = new Supervisor(config, deps);
  const lagNow = () => fetchLag(admin, config.GROUP_ID, config.TOPIC);
  const assignmentsNow = () =>
    describeAssignments(admin, config.GROUP_ID, config.TOPIC, config.PARTITIONS);

  const scrapeErrors = new Counter({
    name: 'consumer_lag_scrape_errors_total',
    help: 'Scrapes where the lag or group could not be read from Kafka (the gauges keep their last value)',
    registers: [deps.registry],
  });
  const lagGauge: Gauge<'topic' | 'partition'> = new Gauge({
    name: 'kafka_consumergroup_lag_messages',
    help: 'Messages in the partition not yet committed by the group (log-end offset minus committed offset)',
    labelNames: ['topic', 'partition'],
    registers: [deps.registry],
    async collect() {
      try {
        const lag = await lagNow();
        for (const p of lag.partitions)
          lagGauge.set({ topic: lag.topic, partition: String(p.partition) }, p.lag);
      } catch (err) {
        scrapeErrors.inc();
        deps.logger.warn({ err }, 'lag scrape failed');
      }
    },
  });
  // Both group gauges come from one DescribeGroups per scrape.
  let groupScrape: ReturnType<typeof assignmentsNow> | undefined;
  const describeOncePerScrape = () => {
    groupScrape ??= assignmentsNow().finally(() => {
      setImmediate(() => {
        groupScrape = undefined;
      });
    });
    return groupScrape;
  };
  const membersGauge: Gauge = new Gauge({
    name: 'kafka_consumergroup_members',
    help: 'Members the group coordinator lists for the group (DescribeGroups)',
    registers: [deps.registry],
    async collect() {
      try {
        membersGauge.set((await describeOncePerScrape()).members.length);
      } catch (err) {
        scrapeErrors.inc();
        deps.logger.warn({ err }, 'group scrape failed');
      }
    },
  });
  const unassignedGauge: Gauge = new Gauge({
    name: 'kafka_consumergroup_unassigned_partitions',
    help: 'Partitions of the topic no member owns right now (during a rebalance, or with no members)',
    registers: [deps.registry],
    async collect() {
      try {
        unassignedGauge.set((await describeOncePerScrape()).unassigned.length);
      } catch {
        // Counted once by kafka_consumergroup_members.
      }
    },
  });

  if (config.INITIAL_CONSUMERS > 0) supervisor.start(config.INITIAL_CONSUMERS);
  if (config.BREAK_BLOCKING_BATCH) {
    deps.logger.warn(
      'BREAK_BLOCKING_BATCH=1: consumers block for whole batches without heartbeats or commits',
    );
  }

  const app = createServer({
    ...deps,
    health: () => ({ consumers: supervisor.live().length, topic: config.TOPIC }),
  });
  app.addHook('onClose', async () => {
    await supervisor.stopAll('SIGTERM');
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    await dedup.close();
  });

  app.post('/consumers', async (request, reply) => {
    const body = parseOr400(scaleBody, request.body, reply);
    if (!body) return reply;
    const live = supervisor.live().length;
    if (live + body.count > config.MAX_CONSUMERS) {
      return sendProblem(
        reply,
        409,
        `${live} consumers run already; ${body.count} more would exceed MAX_CONSUMERS=${config.MAX_CONSUMERS}`,
        { code: 'too_many_consumers', live, max: config.MAX_CONSUMERS },
      );
    }
    const started = supervisor.start(body.count);
    return reply.code(201).send({
      started: started.map((c) => ({ id: c.id, pid: c.pid })),
      live: supervisor.live().length,
      partitions: config.PARTITIONS,
    });
  });

  app.get('/consumers', async () => ({ consumers: supervisor.list() }));

  app.delete('/consumers/:id', async (request, reply) => {
    const params = parseOr400(consumerParams, request.params, reply);
    const query = params && parseOr400(stopQuery, request.query, reply);
    if (!params || !query) return reply;
    const target = supervisor.get(params.id);
    if (!target || target.state === 'exited') {
      return sendProblem(reply, 404, `no live consumer ${params.id}; GET /consumers lists them`, {
        code: 'no_such_consumer',
      });
    }
    const stopped = await supervisor.stop(params.id, query.signal);
    return { id: stopped.id, signal: query.signal, exit: stopped.exit, owned: target.partitions };
  });

  app.get('/assignments', async () => {
    const a = await assignmentsNow();
    const byClient = new Map(supervisor.list().map((c) => [`poc47-consumer-${c.id}`, c.id]));
    return {
      topic: config.TOPIC,
      groupId: config.GROUP_ID,
      ...a,
      members: a.members.map((m) => ({ ...m, consumer: byClient.get(m.clientId) ?? null })),
    };
  });

  app.get('/lag', async () => lagNow());

  app.get('/stats', async () => ({
    sink: await dedup.counts(),
    consumers: supervisor.totals(),
  }));

  app.post('/produce', async (request, reply) => {
    const body = parseOr400(produceBody, request.body, reply);
    if (!body) return reply;
    try {
      const deadline = createDeadline(config.PRODUCE_TIMEOUT_MS);
      const produced = await withinDeadline(deadline, `producing ${body.count} messages`, () =>
        producer.produce(body.count, deadline.signal),
      );
      return reply.code(202).send(produced);
    } catch (err) {
      // Brokers gone or too slow: fail fast. Chunks sent before the failure stay written.
      request.log.warn({ err, count: body.count }, 'produce failed');
      return sendProblem(reply.header('retry-after', '1'), 503, 'Kafka unavailable, retry later', {
        code: 'kafka_unavailable',
      });
    }
  });

  return { app, supervisor, admin, dedup, producer, lagNow, assignmentsNow };
}

export type BuiltApp = Awaited<ReturnType<typeof buildApp>>;
