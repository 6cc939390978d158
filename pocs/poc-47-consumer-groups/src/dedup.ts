import { type Logger, silentLogger } from '@pocs/shared/log';
import { Redis } from 'ioredis';

export type Outcome = 'unique' | 'redelivered';

export interface DedupCounts {
  unique: number;
  redelivered: number;
  /** unique + redelivered: every time any consumer finished a message. */
  processed: number;
}

/** How long a processed id is remembered: far longer than any redelivery in this lab. */
const SEEN_TTL_SECONDS = 86_400;

// Claim and count in one step, so a consumer killed between the two can't skew the counts.
const RECORD_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  redis.call('HINCRBY', KEYS[2], 'unique', 1)
  return 1
end
redis.call('HINCRBY', KEYS[2], 'redelivered', 1)
return 0`;

/**
 * The downstream sink's dedup: each message id is applied once (SET NX); a redelivered
 * id is counted and dropped. Counts live in Redis, so they survive a SIGKILLed consumer.
 */
export function createDedupStore(
  redisUrl: string,
  keyPrefix: string,
  logger: Logger = silentLogger,
) {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  // Without a listener ioredis prints every reconnect failure to stderr, past pino.
  redis.on('error', (err: Error) => logger.warn({ err }, 'redis connection error'));
  const statsKey = `${keyPrefix}stats`;
  return {
    redis,
    connect: () => redis.connect(),
    async record(messageId: string, consumerId: string): Promise<Outcome> {
      const claimed = await redis.eval(
        RECORD_SCRIPT,
        2,
        `${keyPrefix}seen:${messageId}`,
        statsKey,
        consumerId,
        SEEN_TTL_SECONDS,
      );
      return claimed === 1 ? 'unique' : 'redelivered';
    },
    /** Apply a whole batch in one round trip (a bulk write). */
    async recordMany(messageIds: string[], consumerId: string): Promise<Outcome[]> {
      const pipeline = redis.pipeline();
      for (const id of messageIds) {
        pipeline.eval(
          RECORD_SCRIPT,
          2,
          `${keyPrefix}seen:${id}`,
          statsKey,
          consumerId,
          SEEN_TTL_SECONDS,
        );
      }
      const results = (await pipeline.exec()) ?? [];
      return results.map(([err, claimed]) => {
        if (err) throw err;
        return claimed === 1 ? 'unique' : 'redelivered';
      });
    },
    async counts(): Promise<DedupCounts> {
      const raw = await redis.hgetall(statsKey);
      const unique = Number(raw.unique ?? 0);
      const redelivered = Number(raw.redelivered ?? 0);
      return { unique, redelivered, processed: unique + redelivered };
    },
    /** Delete every key under the prefix (SCAN, never KEYS: the shared Redis has other tenants). */
    async clear(): Promise<number> {
      let deleted = 0;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) deleted += await redis.del(...keys);
      } while (cursor !== '0');
      return deleted;
    },
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

export type DedupStore = ReturnType<typeof createDedupStore>;
