import type { Redis } from 'ioredis';
import type { DedupStrategy } from './config.ts';

/** What the deduplicator says before the side effect runs. */
export type Verdict = 'run' | 'duplicate' | 'in-flight';

/**
 * Seen-message bookkeeping around one side effect: `begin` before it, `commit` after it
 * committed, `abort` when it failed (so a redelivery may try again).
 */
export interface Deduper {
  readonly strategy: DedupStrategy;
  begin(messageId: string): Promise<Verdict>;
  commit(messageId: string): Promise<void>;
  abort(messageId: string): Promise<void>;
}

export interface DeduperOptions {
  redis: Redis;
  keyPrefix: string;
  /** How long a processed id is remembered. */
  ttlMs: number;
  /** How long an atomic claim lives while the side effect runs. */
  claimTtlMs: number;
}

const PROCESSING = 'processing';
const DONE = 'done';

export const dedupKey = (prefix: string, messageId: string) => `${prefix}msg:${messageId}`;

export function createDeduper(strategy: DedupStrategy, o: DeduperOptions): Deduper {
  const key = (id: string) => dedupKey(o.keyPrefix, id);
  switch (strategy) {
    case 'none':
      return {
        strategy,
        begin: async () => 'run',
        commit: async () => {},
        abort: async () => {},
      };
    case 'check-then-act':
      return {
        strategy,
        // ❌ Two round trips with the side effect in between: two deliveries of the same
        // message that both GET before either SETs both see "new" and both run.
        begin: async (id) => ((await o.redis.get(key(id))) === null ? 'run' : 'duplicate'),
        commit: async (id) => {
          await o.redis.set(key(id), DONE, 'PX', o.ttlMs);
        },
        abort: async () => {},
      };
    case 'atomic':
      return {
        strategy,
        begin: (id) => claim(o.redis, key(id), o.claimTtlMs),
        commit: async (id) => {
          await o.redis.set(key(id), DONE, 'PX', o.ttlMs);
        },
        // Release the claim so the redelivery of a failed message runs instead of being skipped.
        abort: async (id) => {
          await o.redis.del(key(id));
        },
      };
  }
}

/**
 * ✅ One atomic command: SET key processing NX GET PX ttl (Redis ≥ 7.0). Exactly one
 * caller gets null back (it set the key and runs the side effect); every other caller
 * gets the value it found: `processing` (another delivery is running it) or `done`.
 */
export async function claim(redis: Redis, key: string, claimTtlMs: number): Promise<Verdict> {
  const previous = (await redis.call('SET', key, PROCESSING, 'NX', 'GET', 'PX', claimTtlMs)) as
    | string
    | null;
  if (previous === null) return 'run';
  return previous === PROCESSING ? 'in-flight' : 'duplicate';
}
