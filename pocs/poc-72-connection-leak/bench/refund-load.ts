import { performance } from 'node:perf_hooks';
import { sleep } from '@pocs/shared/wait';
import { MAX_REFUND_CENTS } from '../src/orders.ts';

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
 * Open-loop load: request i leaves at i / rate seconds whether or not earlier ones have
 * answered, as real users do. When the service hangs, requests pile up instead of the
 * generator politely slowing down.
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
  const total = Math.round(ratePerSec * durationSec);
  const perSecond: SecondCounts[] = Array.from({ length: Math.ceil(durationSec) }, (_, second) => ({
    second,
    ok: 0,
    rejected: 0,
    unavailable: 0,
    other: 0,
  }));
  const latencies = { ok: [] as number[], unavailable: [] as number[] };
  let injected = 0;
  let firstUnavailableSentAtMs: number | null = null;
  const start = performance.now();

  const send = async (i: number) => {
    const { orderId, amountCents, injected: isInjected } = refundFor(i, errorRate, orders);
    if (isInjected) injected++;
    const sentAt = performance.now();
    let kind: 'ok' | 'rejected' | 'unavailable' | 'other' = 'other';
    try {
      const res = await fetch(`${url}/orders/${orderId}/refunds`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ amountCents, reason: 'load test' }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer();
      kind =
        res.status === 201
          ? 'ok'
          : res.status === 409
            ? 'rejected'
            : res.status === 503
              ? 'unavailable'
              : 'other';
    } catch {
      kind = 'other';
    }
    const doneAt = performance.now();
    if (kind === 'ok') latencies.ok.push(doneAt - sentAt);
    if (kind === 'unavailable') {
      latencies.unavailable.push(doneAt - sentAt);
      const sentAtMs = Math.round(sentAt - start);
      if (firstUnavailableSentAtMs === null || sentAtMs < firstUnavailableSentAtMs)
        firstUnavailableSentAtMs = sentAtMs;
    }
    const second = Math.floor((doneAt - start) / 1000);
    while (perSecond.length <= second)
      perSecond.push({ second: perSecond.length, ok: 0, rejected: 0, unavailable: 0, other: 0 });
    perSecond[second]![kind]++;
  };

  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / ratePerSec - performance.now();
    if (wait > 0) await sleep(wait);
    const p: Promise<void> = send(i).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);

  const sum = (k: keyof Omit<SecondCounts, 'second'>) => perSecond.reduce((n, s) => n + s[k], 0);
  return {
    ratePerSec,
    durationSec,
    errorRate,
    sent: total,
    injected,
    ok: sum('ok'),
    rejected: sum('rejected'),
    unavailable: sum('unavailable'),
    other: sum('other'),
    unavailableP50Ms: median(latencies.unavailable),
    okP50Ms: median(latencies.ok),
    firstUnavailableSentAtMs,
    perSecond,
  };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]!);
}
