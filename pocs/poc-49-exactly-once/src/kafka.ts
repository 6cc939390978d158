import type { Logger } from '@pocs/shared/log';
import { logLevel } from 'kafkajs';

/**
 * Client-level retries for every kafkajs client of this POC (`createKafka({ retry })` from
 * @pocs/kafka). Metadata and coordinator lookups retry through a leader failover (≈ 9–15 s
 * here) rather than give up after kafkajs' default 5 retries (≈ 7–9 s) while the dead broker
 * is still listed as leader. ≈ 22 s in all; a transaction's own deadline (TX_DEADLINE_MS) is
 * shorter.
 */
export const clientRetry = { retries: 10, initialRetryTime: 300, maxRetryTime: 3_000 };

/** kafkajs' INFO level narrates every group join; warnings and errors are what matter here. */
export const kafkaLevelFor = (logger: Logger): logLevel =>
  logger.level === 'debug' ? logLevel.DEBUG : logLevel.WARN;

/** Kafka error codes arrive as `type` on the error or on a wrapped cause. */
function errorTypes(err: unknown): string[] {
  const types: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const e = current as { type?: unknown; cause?: unknown; originalError?: unknown };
    if (typeof e.type === 'string') types.push(e.type);
    current = e.originalError ?? e.cause;
  }
  return types;
}

/**
 * A newer producer with our transactional.id exists (KIP-98 fencing). Kafka ≥ 2.7 says
 * PRODUCER_FENCED to new clients; kafkajs speaks older protocol versions and gets
 * INVALID_PRODUCER_EPOCH for the same condition.
 */
export const isFencedError = (err: unknown): boolean =>
  errorTypes(err).some((t) => t === 'INVALID_PRODUCER_EPOCH' || t === 'PRODUCER_FENCED');
