import { runOpenLoop } from '@pocs/shared/open-loop';
import { MAX_REFUND_CENTS } from '../orders.ts';

/**
 * Whether request i is one of the injected errors. Spreads exactly floor(n × rate) errors
 * over the first n requests, evenly (rate 0.2 → every 5th), so counts are exact.
 */
export function isInjectedError(i: number, rate: number): boolean {
  return Math.floor((i + 1) * rate) > Math.floor(i * rate);
}

/**
 * Request i of the load: a small refund on an order spread over 1..orders, or, when it is
 * an injected error, a refund larger than any order's balance (the service answers 409).
 */
export function refundFor(i: number, errorRate: number, orders: number) {
  const injected = isInjectedError(i, errorRate);
  return {
    orderId: 1 + ((i * 7919) % orders),
    amountCents: injected ? MAX_REFUND_CENTS : 1 + (i % 500),
    injected,
  };
}

export interface SecondCounts {
  /** Seconds since the load started; responses are counted in the second they arrived. */
  second: number;
  ok: number;
  rejected: number;
  unavailable: number;
  other: number;
}

export interface LoadResult {
  ratePerSec: number;
  durationSec: number;
  errorRate: number;
  sent: number;
  injected: number;
  /** 201 refunds. */
  ok: number;
  /** 409 over-balance answers: the injected errors. */
  rejected: number;
  /** 503 pool timeouts. */
  unavailable: number;
  /** Any other status, or no answer (network error, client timeout). */
  other: number;
  /** Median time a 503 took to come back: how long requests hung first. */
  unavailableP50Ms: number | null;
  okP50Ms: number | null;
  /** When the first request that got a 503 was sent, since the load started. */
  firstUnavailableSentAtMs: number | null;
  perSecond: SecondCounts[];
}

/**
 * Open-loop refunds (shared/open-loop): request i leaves at i / rate seconds whether or
 * not earlier ones have answered, so a hanging service collects a pile of requests.
 */
export async function runRefundLoad({
  url,
  ratePerSec,
  durationSec,
  errorRate,
  orders,
  timeoutMs = 10_000,
}: {
  url: string;
  ratePerSec: number;
  durationSec: number;
  errorRate: number;
  orders: number;
  timeoutMs?: number;
}): Promise<LoadResult> {
  let injected = 0;
  const result = await runOpenLoop({
    ratePerSec,
    durationSec,
    outcomes: ['ok', 'rejected', 'unavailable', 'other'] as const,
    send: async (i) => {
      const refund = refundFor(i, errorRate, orders);
      if (refund.injected) injected++;
      const res = await fetch(`${url}/orders/${refund.orderId}/refunds`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ amountCents: refund.amountCents, reason: 'load test' }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer();
      if (res.status === 201) return 'ok';
      if (res.status === 409) return 'rejected';
      return res.status === 503 ? 'unavailable' : 'other';
    },
  });
  const { ok, rejected, unavailable, other } = result.outcomes;
  return {
    ratePerSec,
    durationSec,
    errorRate,
    sent: result.sent,
    injected,
    ok: ok.count,
    rejected: rejected.count,
    unavailable: unavailable.count,
    other: other.count,
    unavailableP50Ms: unavailable.p50Ms,
    okP50Ms: ok.p50Ms,
    firstUnavailableSentAtMs: unavailable.firstSentAtMs,
    perSecond: result.perSecond,
  };
}
