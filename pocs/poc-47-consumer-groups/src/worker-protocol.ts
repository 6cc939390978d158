import type { Outcome } from './dedup.ts';

/** What a consumer child process tells its supervisor over the IPC channel. */
export type WorkerEvent =
  | { type: 'running' }
  /** GROUP_JOIN: a new generation; `partitions` is this member's share of the topic. */
  | { type: 'joined'; memberId: string; partitions: number[]; durationMs: number }
  /** REBALANCING: the member learned (from a heartbeat or commit) that the group is rebalancing. */
  | { type: 'rebalancing' }
  /** A message finished; `uncommitted` = messages processed since the last successful commit. */
  | { type: 'processed'; outcome: Outcome; partition: number; uncommitted: number }
  | { type: 'committed' }
  | { type: 'crash'; error: string; restart: boolean };

export const isWorkerEvent = (m: unknown): m is WorkerEvent =>
  typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
