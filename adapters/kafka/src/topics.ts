import { waitFor } from '@pocs/shared/wait';
import { type Admin, type ITopicConfig, Kafka, logLevel } from 'kafkajs';

// On a multi-broker KRaft cluster, kafkajs's `createTopics({ waitForLeaders: true })` can fail
// with "This server does not host this topic-partition": it asks a broker whose metadata cache
// has not caught up yet, and only retries LEADER_NOT_AVAILABLE. Producing too early is worse
// than failing: a broker that refuses part of a multi-partition send makes kafkajs resend the
// partitions that succeeded (duplicates), and a partition whose ISR is not full yet refuses
// acks=all writes with NOT_ENOUGH_REPLICAS after the leader appended them. So "ready" means:
// every broker's own metadata shows every partition with a leader and a full ISR, and every
// leader answers ListOffsets for its partitions. Deletion is asynchronous too: "gone" means no
// broker lists the topic any more.

export interface TopicWaitOptions {
  timeoutMs?: number;
}

/** Open one admin per broker of the cluster, each seeded with that broker alone. */
async function directAdmins(
  admin: Admin,
): Promise<{ admins: Admin[]; close: () => Promise<void> }> {
  const { brokers } = await admin.describeCluster();
  if (brokers.length === 0) throw new Error('the cluster reports no brokers');
  const admins = brokers.map(({ host, port }) =>
    new Kafka({
      clientId: 'topic-wait',
      brokers: [`${host}:${port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin(),
  );
  const close = async () => {
    await Promise.all(admins.map((a) => a.disconnect().catch(() => {})));
  };
  try {
    await Promise.all(admins.map((a) => a.connect()));
  } catch (err) {
    await close();
    throw err;
  }
  return { admins, close };
}

interface PartitionView {
  leader: number;
  replicas: number[];
  isr: number[];
}

const partitionReady = (p: PartitionView) =>
  p.leader >= 0 && p.replicas.length > 0 && p.isr.length === p.replicas.length;

/**
 * Create the topics that do not exist yet (existing ones are kept as they are) and resolve
 * once they take writes: every broker sees a leader and a full ISR for every partition, and
 * the leaders answer ListOffsets. Returns each topic's partition count as the brokers agree
 * on it, which differs from `numPartitions` when the topic already existed.
 */
export async function createTopicsReady(
  admin: Admin,
  topics: ITopicConfig[],
  { timeoutMs = 30_000 }: TopicWaitOptions = {},
): Promise<Map<string, number>> {
  await admin.createTopics({ topics, waitForLeaders: false });
  const names = topics.map((t) => t.topic);
  const { admins, close } = await directAdmins(admin);
  try {
    const counts = await waitFor(
      async () => {
        const views = await Promise.all(admins.map((a) => a.fetchTopicMetadata({ topics: names })));
        const counts = new Map<string, number>();
        for (const name of names) {
          const seen = views.map((v) => v.topics.find((t) => t.name === name)?.partitions ?? []);
          const n = seen[0]?.length ?? 0;
          const agreed = seen.every((ps) => ps.length === n && n > 0 && ps.every(partitionReady));
          if (!agreed) return undefined;
          counts.set(name, n);
        }
        return counts;
      },
      {
        timeoutMs,
        intervalMs: 100,
        description: `leaders and full ISRs for ${names.join(', ')} on every broker`,
      },
    );
    await waitFor(
      async () => {
        await Promise.all(names.map((name) => admin.fetchTopicOffsets(name)));
        return true;
      },
      { timeoutMs, intervalMs: 100, description: `the leaders of ${names.join(', ')} to answer` },
    );
    return counts;
  } finally {
    await close();
  }
}

/** Delete topics (missing ones are fine) and resolve once no broker lists them any more. */
export async function deleteTopicsGone(
  admin: Admin,
  names: string[],
  { timeoutMs = 30_000 }: TopicWaitOptions = {},
): Promise<void> {
  if (names.length === 0) return;
  const { admins, close } = await directAdmins(admin);
  try {
    const listedByAny = async () => {
      const lists = await Promise.all(admins.map((a) => a.listTopics()));
      return names.filter((n) => lists.some((listed) => listed.includes(n)));
    };
    // Any broker's list, not the admin client's: a topic created a moment ago may be missing
    // from the metadata the client happens to hold.
    const present = await listedByAny();
    if (present.length === 0) return;
    await admin.deleteTopics({ topics: present, timeout: timeoutMs });
    await waitFor(async () => (await listedByAny()).length === 0, {
      timeoutMs,
      intervalMs: 100,
      description: `deletion of ${present.join(', ')}`,
    });
  } finally {
    await close();
  }
}
