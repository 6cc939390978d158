import { randomBytes } from 'node:crypto';
import { createLogger, type Logger, silentLogger } from '@pocs/shared/log';
import { createRegistry } from '@pocs/shared/metrics';
import { waitFor } from '@pocs/shared/wait';
import { type BuiltApp, buildApp } from '../app.ts';
import { type Config, loadConfig } from '../config.ts';
import type { ConsumerInfo, StopSignal } from '../supervisor.ts';

/**
 * One experiment run: the supervisor built in this process (consumers are still child
 * processes) on a topic, group and Redis prefix of its own, removed by close().
 */
export interface Run {
  built: BuiltApp;
  config: Readonly<Config>;
  /** Wait until the broker shows `members` members owning every partition once. */
  waitForCompleteAssignment(members: number, timeoutMs?: number): Promise<void>;
  /** Wait until every partition's committed offset reached its end offset. */
  waitForZeroLag(timeoutMs?: number): Promise<void>;
  waitForConsumer(
    id: number,
    probe: (c: ConsumerInfo) => boolean,
    description: string,
    timeoutMs?: number,
  ): Promise<ConsumerInfo>;
  close(options?: { signal?: StopSignal }): Promise<void>;
}

export async function startRun(
  overrides: Record<string, string> = {},
  {
    logger,
    kafkaSocketFactory,
  }: {
    logger?: Logger;
    kafkaSocketFactory?: Parameters<typeof buildApp>[1]['kafkaSocketFactory'];
  } = {},
): Promise<Run> {
  const id = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: 'warn',
    INITIAL_CONSUMERS: '0',
    ...overrides,
    TOPIC: `poc47.run.${id}`,
    GROUP_ID: `poc47-run-${id}`,
    REDIS_KEY_PREFIX: `poc47:run:${id}:`,
  });
  const log =
    logger ??
    (config.LOG_LEVEL === 'silent'
      ? silentLogger
      : createLogger({ name: 'poc-47', level: config.LOG_LEVEL }));
  const built = await buildApp(config, {
    logger: log,
    registry: createRegistry(),
    ...(kafkaSocketFactory ? { kafkaSocketFactory } : {}),
  });
  const { supervisor, admin, dedup } = built;
  return {
    built,
    config,
    async waitForCompleteAssignment(members, timeoutMs = 30_000) {
      await waitFor(
        async () => {
          const a = await built.assignmentsNow();
          if (!a.complete || a.members.length !== members) return false;
          // The broker's view is ahead of the members' GROUP_JOIN events; wait for both.
          const live = supervisor.live();
          return (
            live.length === members &&
            live.every((c) => {
              const m = a.members.find((x) => x.memberId === c.memberId);
              return m !== undefined && m.partitions.join() === c.partitions.join();
            })
          );
        },
        {
          timeoutMs,
          intervalMs: 100,
          description: `${members} members owning all ${config.PARTITIONS} partitions`,
        },
      );
    },
    async waitForZeroLag(timeoutMs = 30_000) {
      await waitFor(async () => (await built.lagNow()).total === 0, {
        timeoutMs,
        intervalMs: 100,
        description: 'group lag to reach 0',
      });
    },
    async waitForConsumer(id, probe, description, timeoutMs = 30_000) {
      return waitFor(
        () => {
          const c = supervisor.get(id);
          return c && probe(c) ? c : undefined;
        },
        { timeoutMs, intervalMs: 5, description: `consumer ${id}: ${description}` },
      );
    },
    async close({ signal = 'SIGTERM' } = {}) {
      try {
        // Members must leave before the group can be deleted; SIGKILLed ones linger until
        // their session times out, and then the group is simply left empty.
        await supervisor.stopAll(signal);
        await admin.deleteGroups([config.GROUP_ID]).catch(() => {});
        await admin.deleteTopics({ topics: [config.TOPIC] }).catch(() => {});
        await dedup.clear().catch(() => {});
      } finally {
        await built.app.close();
      }
    },
  };
}
