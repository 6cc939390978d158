/**
 * Experiment: what a rebalance costs the members that stay, classic group protocol
 * (JoinGroup/SyncGroup, eager: everyone revokes everything) against the consumer protocol
 * of KIP-848 (the broker computes assignments and moves partitions incrementally).
 *
 * One round: a fresh topic (P partitions) under steady produce load, N members in their
 * own processes consuming it; once every partition flows, one event:
 * - join:  a member N+1 starts;
 * - leave: the oldest member gets SIGTERM (close: commit, LeaveGroup);
 * - crash: the oldest member gets SIGKILL (the broker learns at session timeout).
 * Every delivery (partition, offset, receive time) and every assignment change of every
 * member is reported to this process. The round ends once the final members own every
 * partition and each partition delivered again; then the producer stops and the round
 * waits until every produced offset was delivered. The maths is in rebalance-analysis.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createKafka, createTopicsReady, deleteTopicsGone } from '@pocs/kafka';
import { waitFor } from '@pocs/shared/wait';
import { clientSettings } from '../kafka.ts';
import {
  type AssignmentChange,
  analyseRound,
  assignmentAt,
  type Delivery,
  type RoundAnalysis,
} from './rebalance-analysis.ts';
import {
  type ClientName,
  type GroupProtocolName,
  isMemberEvent,
  type MemberSettings,
  memberSettingsToEnv,
} from './rebalance-member-protocol.ts';

const memberEntry = join(dirname(fileURLToPath(import.meta.url)), 'rebalance-member.ts');
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type RebalanceEvent = 'join' | 'leave' | 'crash';
export const rebalanceEvents: RebalanceEvent[] = ['join', 'leave', 'crash'];

export interface Variant {
  client: ClientName;
  protocol: GroupProtocolName;
}
export const variants: Variant[] = [
  { client: 'kafkajs', protocol: 'classic' },
  { client: 'platformatic', protocol: 'classic' },
  { client: 'platformatic', protocol: 'consumer' },
];
export const variantName = (v: Variant) => `${v.client}/${v.protocol}`;

export interface RoundOptions {
  variant: Variant;
  event: RebalanceEvent;
  brokers: string[];
  partitions: number;
  members: number;
  /** Messages produced per partition per second, each stamped with its produce time. */
  ratePerPartition: number;
  /** Steady flow observed before the event (the baseline gaps). */
  baselineMs: number;
  /** Classic protocol: session.timeout and heartbeat.interval (the consumer protocol's are broker-side). */
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Both clients commit delivered offsets every this many ms. */
  commitIntervalMs: number;
  /** Longest wait for the group to settle after the event. */
  settleDeadlineMs: number;
  log?: (line: string) => void;
}

export const defaultRoundOptions = {
  partitions: 6,
  members: 3,
  ratePerPartition: 20,
  baselineMs: 3_000,
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  commitIntervalMs: 1_000,
} as const;

export interface RoundResult extends RoundAnalysis {
  variant: string;
  event: RebalanceEvent;
  topic: string;
  groupId: string;
  /** The member that joined, left or crashed. */
  subject: number;
  produced: number;
  delivered: number;
  unique: number;
  /** Every produced offset was delivered at least once. */
  complete: boolean;
  /** Wall time of each phase of the round, ms (teardown excluded). */
  phasesMs: { topic: number; steady: number; settle: number; drain: number };
  /** Each member's assignment reports after the event, ms after it: who moved when. */
  timeline: { member: number; afterMs: number; partitions: number[] }[];
}

interface Member {
  id: number;
  child: ChildProcess;
  exited: Promise<void>;
  startedAt: number | null;
  joiningAt: number | null;
  alive: boolean;
}

// Members die with the process that started them, even when it crashes.
const everyMember = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of everyMember) child.kill('SIGKILL');
});

export async function runRebalanceRound(o: RoundOptions): Promise<RoundResult> {
  const log = o.log ?? (() => {});
  const suffix = randomUUID().slice(0, 8);
  const name = `${o.variant.client}-${o.variant.protocol}-${o.event}-${suffix}`;
  const topic = `poc47.rebalance.${name}`;
  const groupId = `poc47-rebalance-${name}`;
  // No logger: kafkajs stays silent; the round reports what it measures.
  const kafka = createKafka({
    clientId: 'poc47-rebalance-driver',
    brokers: o.brokers,
    retry: clientSettings.retry,
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const deliveries: Delivery[] = [];
  const assignments: AssignmentChange[] = [];
  const members = new Map<number, Member>();
  let producing = false;
  let producerLoop: Promise<void> = Promise.resolve();

  const spawnMember = (id: number, standby = false): Member => {
    const settings: MemberSettings = {
      memberId: id,
      client: o.variant.client,
      protocol: o.variant.protocol,
      brokers: o.brokers,
      topic,
      groupId,
      sessionTimeoutMs: o.sessionTimeoutMs,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      commitIntervalMs: o.commitIntervalMs,
      logLevel: process.env.LOG_LEVEL ?? 'warn',
      standby,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', memberEntry], {
      cwd: packageDir,
      env: { ...process.env, ...memberSettingsToEnv(settings) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    everyMember.add(child);
    const m: Member = {
      id,
      child,
      startedAt: null,
      joiningAt: null,
      alive: true,
      exited: once(child, 'exit').then(() => {
        everyMember.delete(child);
        m.alive = false;
      }),
    };
    child.on('error', (err) => log(`  member ${id}: ${err.message}`));
    child.on('message', (msg) => {
      if (!isMemberEvent(msg)) return;
      if (msg.type === 'deliveries') {
        for (const [partition, offset, receivedAt, producedAt] of msg.items) {
          deliveries.push({ member: id, partition, offset, receivedAt, producedAt });
        }
      } else if (msg.type === 'assigned') {
        assignments.push({ member: id, at: msg.at, partitions: msg.partitions });
      } else if (msg.type === 'started') {
        m.startedAt = msg.at;
      } else if (msg.type === 'joining') {
        m.joiningAt = msg.at;
      }
    });
    members.set(id, m);
    return m;
  };

  const lastDeliveryAt = new Map<number, number>();
  const noteDeliveries = () => {
    for (let i = noted; i < deliveries.length; i++) {
      const d = deliveries[i] as Delivery;
      lastDeliveryAt.set(d.partition, Math.max(lastDeliveryAt.get(d.partition) ?? 0, d.receivedAt));
    }
    noted = deliveries.length;
  };
  let noted = 0;

  /**
   * The group is settled when `ids` own every partition exactly once (their own latest
   * reports), each owns at least one when there are enough partitions, and every partition
   * delivered after the last assignment change of any of them.
   */
  const settled = (ids: number[], now: number): boolean => {
    noteDeliveries();
    const owned = ids.map((id) => assignmentAt(assignments, id, now));
    const flat = owned.flat();
    if (flat.length !== o.partitions || new Set(flat).size !== o.partitions) return false;
    if (ids.length <= o.partitions && owned.some((ps) => ps.length === 0)) return false;
    const lastChange = Math.max(
      0,
      ...assignments.filter((c) => ids.includes(c.member)).map((c) => c.at),
    );
    for (let p = 0; p < o.partitions; p++) {
      if ((lastDeliveryAt.get(p) ?? 0) <= lastChange) return false;
    }
    return true;
  };

  const t0 = Date.now();
  // A line every 2 s whatever the round is doing: phase, who owns what, deliveries so far.
  let phase = 'starting members';
  let phaseStart = t0;
  let watched: number[] = [];
  const progress = setInterval(() => {
    const now = Date.now();
    const owned = watched.map((id) => `${id}:[${assignmentAt(assignments, id, now)}]`);
    log(
      `    ${phase} +${((now - phaseStart) / 1000).toFixed(1)} s  ${owned.join(' ')}  ${deliveries.length} delivered`,
    );
  }, 2_000);
  try {
    await admin.connect();
    await createTopicsReady(admin, [{ topic, numPartitions: o.partitions }]);
    const topicReadyAt = Date.now();
    await producer.connect();
    producing = true;
    const tickMs = 1000 / o.ratePerPartition;
    producerLoop = (async () => {
      let next = performance.now();
      while (producing) {
        const now = Date.now();
        await producer.send({
          topic,
          acks: -1,
          messages: Array.from({ length: o.partitions }, (_, partition) => ({
            partition,
            value: String(now),
            timestamp: String(now),
          })),
        });
        next += tickMs;
        const wait = next - performance.now();
        if (wait > 0) await delay(wait);
        else next = performance.now(); // behind: don't burst to catch up
      }
    })();

    const initial = Array.from({ length: o.members }, (_, i) => i + 1);
    watched = initial;
    for (const id of initial) spawnMember(id);
    // The joiner starts now and waits: its process start-up is not part of the event.
    const joiner = o.event === 'join' ? spawnMember(o.members + 1, true) : null;
    await waitFor(() => settled(initial, Date.now()), {
      timeoutMs: 60_000,
      intervalMs: 50,
      description: `${o.members} members owning all ${o.partitions} partitions, every partition delivering`,
    });
    const steadyAt = Date.now();
    const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    log(
      `  ${variantName(o.variant)} ${o.event}: topic ready in ${secs(topicReadyAt - t0)}, ` +
        `${o.members} members steady after ${secs(steadyAt - topicReadyAt)}; baseline ${o.baselineMs} ms`,
    );
    phase = 'baseline';
    // The baseline is part of the measurement (each partition's usual gap), not a wait for a condition.
    await delay(o.baselineMs);

    let subject: number;
    let eventAt: number;
    let after: number[];
    if (joiner) {
      subject = joiner.id;
      await waitFor(() => joiner.startedAt, {
        timeoutMs: 30_000,
        intervalMs: 10,
        description: `standby member ${subject} to start`,
      });
      joiner.child.send({ type: 'join' });
      await waitFor(() => joiner.joiningAt, {
        timeoutMs: 30_000,
        intervalMs: 10,
        description: `member ${subject} to start joining`,
      });
      eventAt = joiner.joiningAt as number;
      after = [...initial, subject];
    } else {
      subject = 1;
      eventAt = Date.now();
      (members.get(subject) as Member).child.kill(o.event === 'leave' ? 'SIGTERM' : 'SIGKILL');
      after = initial.filter((id) => id !== subject);
    }
    log(
      `  ${o.event} of member ${subject}; waiting for ${after.length} members to own all partitions`,
    );
    phase = `after the ${o.event}`;
    watched = after;
    phaseStart = eventAt;
    await waitFor(
      () => settled(after, Date.now()) && (after.includes(subject) || !members.get(subject)?.alive),
      {
        timeoutMs: o.settleDeadlineMs,
        intervalMs: 20,
        description: `${after.length} members owning all ${o.partitions} partitions after the ${o.event}`,
      },
    );
    const settledAt = Date.now();
    phase = 'draining';

    producing = false;
    await producerLoop;
    const ends = await admin.fetchTopicOffsets(topic);
    const high = new Map(ends.map((e) => [e.partition, Number(e.high)]));
    const deliveredOffsets = () => {
      const seen = new Map<number, Set<number>>();
      for (const d of deliveries) {
        const s = seen.get(d.partition) ?? new Set<number>();
        s.add(d.offset);
        seen.set(d.partition, s);
      }
      return seen;
    };
    const complete = await waitFor(
      () => {
        const seen = deliveredOffsets();
        return [...high].every(([p, h]) => (seen.get(p)?.size ?? 0) >= h);
      },
      { timeoutMs: 30_000, intervalMs: 100, description: 'every produced offset delivered' },
    ).then(
      () => true,
      () => false,
    );
    const drainedAt = Date.now();
    const unique = [...deliveredOffsets().values()].reduce((s, set) => s + set.size, 0);
    const analysis = analyseRound({
      partitions: o.partitions,
      deliveries,
      assignments,
      membersBefore: initial,
      membersAfter: after,
      subject,
      eventAt,
      settledAt,
      baselineMs: o.baselineMs,
    });
    return {
      variant: variantName(o.variant),
      event: o.event,
      topic,
      groupId,
      subject,
      produced: [...high.values()].reduce((a, b) => a + b, 0),
      delivered: deliveries.length,
      unique,
      complete,
      ...analysis,
      phasesMs: {
        topic: topicReadyAt - t0,
        steady: steadyAt - topicReadyAt,
        settle: settledAt - eventAt,
        drain: drainedAt - settledAt,
      },
      timeline: assignments
        .filter((c) => c.at > eventAt && c.at <= settledAt)
        .map((c) => ({ member: c.member, afterMs: c.at - eventAt, partitions: c.partitions })),
    };
  } finally {
    clearInterval(progress);
    producing = false;
    await producerLoop.catch(() => {});
    await Promise.all(
      [...members.values()].map(async (m) => {
        if (!m.alive) return;
        m.child.kill('SIGTERM');
        const force = setTimeout(() => m.child.kill('SIGKILL'), 15_000);
        await m.exited;
        clearTimeout(force);
      }),
    );
    await producer.disconnect().catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {});
    await deleteTopicsGone(admin, [topic]).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}
