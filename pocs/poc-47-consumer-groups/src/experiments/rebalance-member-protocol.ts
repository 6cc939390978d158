/** What the parent tells a rebalance-experiment member (env) and what it answers (IPC). */
import { parseBrokers } from '@pocs/kafka';

export type ClientName = 'kafkajs' | 'platformatic';
export type GroupProtocolName = 'classic' | 'consumer';

export interface MemberSettings {
  memberId: number;
  client: ClientName;
  protocol: GroupProtocolName;
  brokers: string[];
  topic: string;
  groupId: string;
  /** Classic protocol only: the consumer protocol's session and heartbeat are broker-side. */
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Offsets of delivered messages are committed every this many ms (both clients). */
  commitIntervalMs: number;
  logLevel: string;
  /** Start, then wait for a { type: 'join' } message before joining the group. */
  standby: boolean;
}

export type MemberEvent =
  /** Process up (a standby member now waits for { type: 'join' }). */
  | { type: 'started'; at: number }
  /** About to send its first group request. */
  | { type: 'joining'; at: number }
  | { type: 'running'; at: number }
  /** Its own view of its share of the topic changed (sorted partitions). */
  | { type: 'assigned'; partitions: number[]; at: number }
  /** The client learned that the group is rebalancing. */
  | { type: 'rebalancing'; at: number }
  /** [partition, offset, receivedAtMs, producedAtMs] */
  | { type: 'deliveries'; items: [number, number, number, number][] }
  | { type: 'left'; at: number };

export const isMemberEvent = (m: unknown): m is MemberEvent =>
  typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';

export function memberSettingsToEnv(s: MemberSettings): Record<string, string> {
  return {
    MEMBER_ID: String(s.memberId),
    MEMBER_CLIENT: s.client,
    MEMBER_PROTOCOL: s.protocol,
    KAFKA_BROKERS: s.brokers.join(','),
    MEMBER_TOPIC: s.topic,
    MEMBER_GROUP_ID: s.groupId,
    MEMBER_SESSION_TIMEOUT_MS: String(s.sessionTimeoutMs),
    MEMBER_HEARTBEAT_INTERVAL_MS: String(s.heartbeatIntervalMs),
    MEMBER_COMMIT_INTERVAL_MS: String(s.commitIntervalMs),
    LOG_LEVEL: s.logLevel,
    MEMBER_STANDBY: s.standby ? '1' : '0',
  };
}

export function memberSettingsFromEnv(env: NodeJS.ProcessEnv): MemberSettings {
  const need = (key: string) => {
    const v = env[key];
    if (!v) throw new Error(`rebalance member: ${key} is not set`);
    return v;
  };
  const client = need('MEMBER_CLIENT');
  const protocol = need('MEMBER_PROTOCOL');
  if (client !== 'kafkajs' && client !== 'platformatic') {
    throw new Error(`MEMBER_CLIENT must be kafkajs or platformatic, got "${client}"`);
  }
  if (protocol !== 'classic' && protocol !== 'consumer') {
    throw new Error(`MEMBER_PROTOCOL must be classic or consumer, got "${protocol}"`);
  }
  if (client === 'kafkajs' && protocol === 'consumer') {
    throw new Error('kafkajs speaks only the classic group protocol');
  }
  return {
    memberId: Number(need('MEMBER_ID')),
    client,
    protocol,
    brokers: parseBrokers(need('KAFKA_BROKERS')),
    topic: need('MEMBER_TOPIC'),
    groupId: need('MEMBER_GROUP_ID'),
    sessionTimeoutMs: Number(need('MEMBER_SESSION_TIMEOUT_MS')),
    heartbeatIntervalMs: Number(need('MEMBER_HEARTBEAT_INTERVAL_MS')),
    commitIntervalMs: Number(need('MEMBER_COMMIT_INTERVAL_MS')),
    logLevel: env.LOG_LEVEL ?? 'warn',
    standby: env.MEMBER_STANDBY === '1',
  };
}
