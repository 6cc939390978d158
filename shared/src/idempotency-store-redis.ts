import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type {
  BeginInput,
  BeginResult,
  IdempotencyStore,
  KeyRef,
  StoredResponse,
} from './idempotency-store.ts';

// Two keys per idempotency key, in one hash slot ({...}):
//   KEYS[1] the claim, JSON: f fingerprint, e expires-at ms, l lock id ('' = unlocked),
//           la locked-at ms, rp recovery point, g generation. Times are strings (cjson
//           rounds big numbers).
//   KEYS[2] the stored response, JSON {s, b, t}, written once by complete().
// ARGV: fingerprint, now ms, retention ms, lock timeout ms, lock id, the fresh claim JSON.
// A new key (the common case) costs a GET, a SET and a DEL inside the script: no JSON decode.
const BEGIN = `
local now = tonumber(ARGV[2])
local raw = redis.call('GET', KEYS[1])
if raw then
  local r = cjson.decode(raw)
  if tonumber(r.e) > now then
    if r.f ~= ARGV[1] then return {'mismatch'} end
    local response = redis.call('GET', KEYS[2])
    if response then return {'replay', response} end
    if r.l ~= '' and (now - tonumber(r.la)) < tonumber(ARGV[4]) then
      return {'in_flight', tostring(now - tonumber(r.la))}
    end
    r.l = ARGV[5]
    r.la = ARGV[2]
    redis.call('SET', KEYS[1], cjson.encode(r), 'KEEPTTL')
    return {'resumed', r.rp, r.g}
  end
end
redis.call('SET', KEYS[1], ARGV[6], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return {'started', 'started'}`;

// The hot path stays free of JSON decoding: the lock is checked by substring (lock ids
// are UUIDs, which JSON and cjson encode alike) and the response JSON comes from Node.
const COMPLETE = `
local raw = redis.call('GET', KEYS[1])
if not raw or not string.find(raw, ARGV[1], 1, true) then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
return 1`;

// ARGV: lock id, 'release' | 'point', recovery point.
const UPDATE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local r = cjson.decode(raw)
if r.l ~= ARGV[1] then return 0 end
if ARGV[2] == 'release' then
  r.l = ''
else
  r.rp = ARGV[3]
end
redis.call('SET', KEYS[1], cjson.encode(r), 'KEEPTTL')
return 1`;

/** The scripts as client commands; ioredis sends EVALSHA, and EVAL after a NOSCRIPT. */
interface IdempotencyCommands {
  idempotencyBegin(claimKey: string, responseKey: string, ...args: string[]): Promise<unknown>;
  idempotencyComplete(claimKey: string, responseKey: string, ...args: string[]): Promise<unknown>;
  idempotencyUpdate(claimKey: string, ...args: string[]): Promise<unknown>;
}

function defineCommands(redis: Redis): IdempotencyCommands {
  redis.defineCommand('idempotencyBegin', { numberOfKeys: 2, lua: BEGIN });
  redis.defineCommand('idempotencyComplete', { numberOfKeys: 2, lua: COMPLETE });
  redis.defineCommand('idempotencyUpdate', { numberOfKeys: 1, lua: UPDATE });
  return redis as unknown as IdempotencyCommands;
}

/**
 * Idempotency keys in Redis. Every phase (begin, complete, release, recovery point) is
 * one Lua script, defined on the ioredis client with `defineCommand`: atomic, and one
 * round trip whatever the outcome. Fast, but forgotten on a restart without persistence:
 * use it for cheap operations, Postgres for money. Redis expires records after the
 * retention period (real time); the injected clock decides expiry too, so tests can move
 * time. Lock ids must be UUIDs. Give it a client with `enableAutoPipelining: true`: the
 * scripts of concurrent requests then share one socket write.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  readonly kind = 'redis';
  readonly #redis: IdempotencyCommands;
  readonly #prefix: string;

  constructor({ redis, keyPrefix = 'idem:' }: { redis: Redis; keyPrefix?: string }) {
    this.#redis = defineCommands(redis);
    this.#prefix = keyPrefix;
  }

  /** The claim's Redis key; the stored response lives at the same key + ':r'. */
  redisKey(scope: string, key: string): string {
    // Scope and key are both free text: length-prefix the scope so "a:b"+"c" ≠ "a"+"b:c".
    // The braces keep both keys in one cluster slot, as a multi-key script needs.
    return `${this.#prefix}{${scope.length}:${scope}:${key}}`;
  }

  async begin(input: BeginInput): Promise<BeginResult> {
    const claimKey = this.redisKey(input.scope, input.key);
    const generation = randomUUID();
    const fresh = JSON.stringify({
      f: input.fingerprint,
      e: String(input.nowMs + input.retentionMs),
      l: input.lockId,
      la: String(input.nowMs),
      rp: 'started',
      g: generation,
    });
    const reply = (await this.#redis.idempotencyBegin(
      claimKey,
      `${claimKey}:r`,
      input.fingerprint,
      String(input.nowMs),
      String(input.retentionMs),
      String(input.lockTimeoutMs),
      input.lockId,
      fresh,
    )) as [string, string?, string?];
    switch (reply[0]) {
      case 'mismatch':
        return { outcome: 'mismatch' };
      case 'in_flight':
        return { outcome: 'in_flight', lockedForMs: Number(reply[1]) };
      case 'replay': {
        const r = JSON.parse(reply[1]!) as { s: number; b: string; t: string };
        return { outcome: 'replay', response: { status: r.s, body: r.b, contentType: r.t } };
      }
      case 'resumed':
        return {
          outcome: 'started',
          resumed: true,
          recoveryPoint: reply[1] ?? 'started',
          generation: reply[2] ?? generation,
        };
      default:
        return { outcome: 'started', resumed: false, recoveryPoint: 'started', generation };
    }
  }

  async complete(ref: KeyRef, response: StoredResponse): Promise<boolean> {
    const claimKey = this.redisKey(ref.scope, ref.key);
    const done = await this.#redis.idempotencyComplete(
      claimKey,
      `${claimKey}:r`,
      `"l":${JSON.stringify(ref.lockId)}`,
      JSON.stringify({ s: response.status, b: response.body, t: response.contentType }),
    );
    return Number(done) === 1;
  }

  async release(ref: KeyRef): Promise<void> {
    await this.#redis.idempotencyUpdate(this.redisKey(ref.scope, ref.key), ref.lockId, 'release');
  }

  async setRecoveryPoint(ref: KeyRef, recoveryPoint: string): Promise<boolean> {
    const done = await this.#redis.idempotencyUpdate(
      this.redisKey(ref.scope, ref.key),
      ref.lockId,
      'point',
      recoveryPoint,
    );
    return Number(done) === 1;
  }
}

export function createRedisIdempotencyStore(options: {
  redis: Redis;
  keyPrefix?: string;
}): RedisIdempotencyStore {
  return new RedisIdempotencyStore(options);
}
