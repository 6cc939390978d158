import { randomUUID } from 'node:crypto';
import { createKafka, createTopicsReady } from '@pocs/kafka';
import { waitFor } from '@pocs/shared/wait';
import { type Admin, type Consumer, Partitioners, type Producer } from 'kafkajs';
import type { Consumers, DeliveryHandler, Lane } from './lane.ts';
import { publishWindowed } from './lane.ts';
import { decodeOrder, encodeOrder, nowMs } from './order.ts';

export interface KafkaLaneOptions {
  brokers: string[];
  /** Existing topic to attach to (crash child); otherwise a fresh topic is created and deleted on close. */
  topic?: string;
  partitions?: number;
  /**
   * Explicit on purpose: the RabbitMQ side is one node, so the headline compares one copy of
   * each message with one copy. With 1, min.insync.replicas is set to 1 too (a 3-broker
   * cluster defaults it to 2, which would refuse acks=-1 writes to a 1-replica topic).
   */
  replicationFactor?: number;
  clientId?: string;
}

export interface KafkaLane extends Lane {
  readonly broker: 'kafka';
  readonly admin: Admin;
  /** Sum over partitions of the group's committed offsets (no commit counts as 0). */
  committedTotal(groupId: string): Promise<number>;
  /** How many brokers the cluster has right now. */
  brokerCount(): Promise<number>;
}

export async function openKafkaLane(options: KafkaLaneOptions): Promise<KafkaLane> {
  const kafka = createKafka({
    brokers: options.brokers,
    clientId: options.clientId ?? 'poc-46-compare',
  });
  const admin = kafka.admin();
  await admin.connect();
  const created = options.topic === undefined;
  const topic = options.topic ?? `poc46-compare-${randomUUID().slice(0, 8)}`;
  const partitions = options.partitions ?? 6;
  if (created) {
    const rf = options.replicationFactor ?? 1;
    try {
      await createTopicsReady(admin, [
        {
          topic,
          numPartitions: partitions,
          replicationFactor: rf,
          configEntries: rf === 1 ? [{ name: 'min.insync.replicas', value: '1' }] : [],
        },
      ]);
    } catch (err) {
      // Don't leave a half-created topic behind.
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
      throw err;
    }
  }
  // acks=-1 on every send; batching is ours (kafkajs has no linger.ms): one send() per batch.
  const producer: Producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    idempotent: false,
  });
  await producer.connect();
  const running = new Set<Consumer>();
  const groups = new Set<string>();

  const send = async (orders: readonly { id: number; key: string; seq: number }[]) => {
    const sentAt = nowMs();
    await producer.send({
      topic,
      acks: -1,
      messages: orders.map((o) => ({ key: o.key, value: encodeOrder(o, sentAt) })),
    });
  };

  const lane: KafkaLane = {
    broker: 'kafka',
    name: topic,
    admin,
    publishAll: (orders, opts) => publishWindowed(orders, opts, send),
    publishOne: (order) => send([order]),

    async consume(count, handler: DeliveryHandler, opts = {}): Promise<Consumers> {
      const groupId = opts.groupId ?? `${topic}-group`;
      groups.add(groupId);
      const assigned = new Map<number, number[]>();
      const sessionTimeout = opts.sessionTimeoutMs ?? 10_000;
      // Started together, so the group settles in one or two rebalances, not one per member.
      const consumers = await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const consumer = kafka.consumer({
            groupId,
            sessionTimeout,
            // Members learn about a rebalance on their next heartbeat: keep it short.
            heartbeatInterval: Math.min(1_000, Math.floor(sessionTimeout / 3)),
            allowAutoTopicCreation: false,
          });
          consumer.on(consumer.events.GROUP_JOIN, (e) => {
            assigned.set(i, e.payload.memberAssignment[topic] ?? []);
          });
          await consumer.connect();
          await consumer.subscribe({ topics: [topic], fromBeginning: true });
          // eachMessage, autoCommit on (kafkajs default: commit after each fetched batch).
          await consumer.run({
            eachMessage: async ({ message, partition }) => {
              await handler({
                event: decodeOrder(message.value as Buffer),
                receivedAtMs: nowMs(),
                redelivered: false,
                consumer: i,
                partition,
                offset: message.offset,
              });
            },
          });
          running.add(consumer);
          return consumer;
        }),
      );
      // Ready when the members' latest assignments cover every partition exactly once.
      await waitFor(
        () => {
          if (assigned.size < count) return false;
          const all = [...assigned.values()].flat().sort((a, b) => a - b);
          return all.length === partitions && all.every((p, k) => p === k);
        },
        { timeoutMs: 60_000, intervalMs: 20, description: `${count} consumers assigned ${topic}` },
      );
      return {
        async stop() {
          await Promise.all(consumers.map((c) => c.disconnect()));
          for (const c of consumers) running.delete(c);
        },
      };
    },

    async committedTotal(groupId) {
      const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (t?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    },

    async brokerCount() {
      return (await admin.describeCluster()).brokers.length;
    },

    async close() {
      await Promise.all([...running].map((c) => c.disconnect().catch(() => {})));
      await producer.disconnect().catch(() => {});
      if (created) {
        await admin.deleteGroups([...groups]).catch(() => {});
        await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      }
      await admin.disconnect().catch(() => {});
    },
  };
  return lane;
}
