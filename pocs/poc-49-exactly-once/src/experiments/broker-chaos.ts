import { startNode, stopNode } from '@pocs/infra/services';
import { createKafka } from '@pocs/kafka';
import { waitFor } from '@pocs/shared/wait';
import type { Admin } from 'kafkajs';
import { clientRetry } from '../kafka.ts';

/** The 3-node lab cluster (`pnpm services up kafka-cluster`): node n listens on 9091 + n. */
export const CLUSTER_SERVICE = 'kafka-cluster';
export const CLUSTER_SIZE = 3;

export interface ClusterHealth {
  brokers: number[];
  /** Partitions of the given topics whose ISR is smaller than their replica set. */
  underReplicated: number;
}

export async function clusterHealth(admin: Admin, topics: string[]): Promise<ClusterHealth> {
  const cluster = await admin.describeCluster();
  const metadata = await admin.fetchTopicMetadata({ topics });
  let underReplicated = 0;
  for (const t of metadata.topics) {
    for (const p of t.partitions) if (p.isr.length < p.replicas.length) underReplicated++;
  }
  return { brokers: cluster.brokers.map((b) => b.nodeId).sort(), underReplicated };
}

/** Only a 3-broker cluster can lose a broker and keep acks=all writes going (min ISR 2). */
export async function isThreeBrokerCluster(admin: Admin): Promise<boolean> {
  const { brokers } = await admin.describeCluster();
  return brokers.length >= CLUSTER_SIZE;
}

/** The broker leading partition 0 of `topic`: the copier writes there, so losing it matters. */
export async function leaderOf(admin: Admin, topic: string): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const leader = topics[0]?.partitions.find((p) => p.partitionId === 0)?.leader;
  if (leader === undefined || leader < 1) throw new Error(`no leader for ${topic}/0`);
  return leader;
}

/** SIGKILL one broker process (by infra's pid file): a crash, no clean leadership handover. */
export async function crashBroker(nodeId: number): Promise<void> {
  const r = await stopNode(CLUSTER_SERVICE, nodeId, 'SIGKILL');
  if (r.outcome !== 'killed' && r.outcome !== 'stopped') {
    throw new Error(`could not crash broker ${nodeId}: ${r.outcome}`);
  }
}

/**
 * Start the broker again and wait until the cluster is whole: every broker registered and
 * no partition of `topics` under-replicated. Other POCs' tests use this cluster next.
 */
export async function restoreBroker(
  admin: Admin,
  nodeId: number,
  topics: string[],
  timeoutMs = 120_000,
): Promise<{ restoreMs: number }> {
  const started = Date.now();
  await startNode(CLUSTER_SERVICE, nodeId);
  await waitFor(
    async () => {
      const h = await clusterHealth(admin, topics);
      return h.brokers.length >= CLUSTER_SIZE && h.underReplicated === 0;
    },
    {
      timeoutMs,
      intervalMs: 250,
      description: `broker ${nodeId} back and ${topics.join(', ')} fully replicated`,
    },
  );
  return { restoreMs: Date.now() - started };
}

/**
 * Every broker's address, as the bootstrap list for clients started during the run. A copier
 * restarted while the broker it bootstraps from is down can't start at all: one address is
 * enough only while that broker lives.
 */
export async function bootstrapList(brokers: string): Promise<string> {
  const admin = createKafka({ brokers, clientId: 'poc49-bootstrap', retry: clientRetry }).admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    return cluster.brokers.map((b) => `${b.host}:${b.port}`).join(',');
  } finally {
    await admin.disconnect();
  }
}
