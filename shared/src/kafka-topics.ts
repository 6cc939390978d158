import { type Admin, type ITopicConfig, Kafka, logLevel } from 'kafkajs';
import { waitFor } from './wait.ts';

// On a multi-broker KRaft cluster, kafkajs's `createTopics({ waitForLeaders: true })` can fail
// with "This server does not host this topic-partition": it asks a broker whose metadata cache
// has not caught up yet, and only retries LEADER_NOT_AVAILABLE. Deletion is asynchronous too.
// Brokers learn about a new topic at different moments, so "ready" means every broker's own
// metadata shows every partition with a leader; "gone" means no broker lists the topic.

export interface TopicWaitOptions {
  timeoutMs?: number;
}

/** Ask each broker of the cluster directly (a client seeded with that broker alone). */
async function everyBroker<T>(admin: Admin, ask: (broker: Admin) => Promise<T>): Promise<T[]> {
  const { brokers } = await admin.describeCluster();
  return Promise.all(
    brokers.map(async ({ host, port }) => {
      const direct = new Kafka({
        clientId: 'topic-wait',
        brokers: [`${host}:${port}`],
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
      }).admin();
      await direct.connect();
      try {
        return await ask(direct);
      } finally {
        await direct.disconnect();
      }
    }),
  );
}

/** Create topics and resolve once every broker sees a leader for every partition of each. */
export async function createTopicsReady(
  admin: Admin,
  topics: ITopicConfig[],
  { timeoutMs = 30_000 }: TopicWaitOptions = {},
): Promise<void> {
  await admin.createTopics({ topics, waitForLeaders: false });
  const names = topics.map((t) => t.topic);
  const ready = (found: Array<{ name: string; partitions: Array<{ leader: number }> }>) =>
    topics.every((wanted) => {
      const meta = found.find((t) => t.name === wanted.topic);
      return (
        meta !== undefined &&
        meta.partitions.length >= (wanted.numPartitions ?? 1) &&
        meta.partitions.every((p) => p.leader >= 0)
      );
    });
  await waitFor(
    async () => {
      const views = await everyBroker(admin, (b) => b.fetchTopicMetadata({ topics: names }));
      return views.every((view) => ready(view.topics));
    },
    { timeoutMs, intervalMs: 100, description: `leaders for ${names.join(', ')} on every broker` },
  );
}

/** Delete topics (missing ones are fine) and resolve once no broker lists them any more. */
export async function deleteTopicsGone(
  admin: Admin,
  names: string[],
  { timeoutMs = 30_000 }: TopicWaitOptions = {},
): Promise<void> {
  // Any broker's list, not the admin client's: a topic created a moment ago may be missing
  // from the metadata the client happens to hold.
  const listed = new Set((await everyBroker(admin, (b) => b.listTopics())).flat());
  const present = names.filter((n) => listed.has(n));
  if (present.length === 0) return;
  await admin.deleteTopics({ topics: present, timeout: timeoutMs });
  await waitFor(
    async () => {
      const views = await everyBroker(admin, (b) => b.listTopics());
      return views.every((listed) => present.every((n) => !listed.includes(n)));
    },
    { timeoutMs, intervalMs: 100, description: `deletion of ${present.join(', ')}` },
  );
}
