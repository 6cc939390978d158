import { performance } from 'node:perf_hooks';
import { percentileOrNull } from './stats.ts';
import { sleep } from './wait.ts';

export interface OutcomeStats {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** When the first request with this outcome was sent, ms after the load started. */
  firstSentAtMs: number | null;
}

export interface OpenLoopResult<K extends string> {
  ratePerSec: number;
  durationSec: number;
  sent: number;
  /** Achieved send rate: below ratePerSec only if the generator itself fell behind. */
  sentPerSec: number;
  outcomes: Record<K, OutcomeStats>;
  /** Responses counted in the second they arrived, by outcome. */
  perSecond: ({ second: number } & Record<K, number>)[];
}

/**
 * Open-loop load: request i leaves at i / rate seconds whether or not earlier ones have
 * answered, as real users do. When the service slows down, requests pile up instead of
 * the generator politely waiting (what a closed loop such as autocannon does).
 * `send` performs request i and names its outcome (e.g. 'ok', 'unavailable').
 */
export async function runOpenLoop<K extends string>({
  ratePerSec,
  durationSec,
  outcomes,
  send,
}: {
  ratePerSec: number;
  durationSec: number;
  /** Every outcome `send` can return; a throw from `send` counts as the last one. */
  outcomes: readonly K[];
  send: (i: number) => Promise<K>;
}): Promise<OpenLoopResult<K>> {
  const failed = outcomes.at(-1)!;
  const total = Math.round(ratePerSec * durationSec);
  const zero = () => Object.fromEntries(outcomes.map((k) => [k, 0])) as Record<K, number>;
  const perSecond: OpenLoopResult<K>['perSecond'] = [];
  const latencies = Object.fromEntries(outcomes.map((k) => [k, [] as number[]])) as Record<
    K,
    number[]
  >;
  const firstSent = Object.fromEntries(outcomes.map((k) => [k, null])) as Record<K, number | null>;
  const start = performance.now();

  const one = async (i: number) => {
    const sentAt = performance.now();
    let outcome: K;
    try {
      outcome = await send(i);
    } catch {
      outcome = failed;
    }
    const doneAt = performance.now();
    latencies[outcome].push(doneAt - sentAt);
    const sentAtMs = Math.round(sentAt - start);
    const first = firstSent[outcome];
    if (first === null || sentAtMs < first) firstSent[outcome] = sentAtMs;
    const second = Math.floor((doneAt - start) / 1000);
    while (perSecond.length <= second) perSecond.push({ second: perSecond.length, ...zero() });
    perSecond[second]![outcome]++;
  };

  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / ratePerSec - performance.now();
    if (wait > 0) await sleep(wait);
    const p: Promise<void> = one(i).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  const sendSeconds = (performance.now() - start) / 1000;
  await Promise.all(inFlight);

  const stats = Object.fromEntries(
    outcomes.map((k) => [
      k,
      {
        count: latencies[k].length,
        p50Ms: percentileMs(latencies[k], 0.5),
        p99Ms: percentileMs(latencies[k], 0.99),
        firstSentAtMs: firstSent[k],
      },
    ]),
  ) as Record<K, OutcomeStats>;
  return {
    ratePerSec,
    durationSec,
    sent: total,
    sentPerSec: Math.round(total / Math.max(sendSeconds, durationSec - 1 / ratePerSec)),
    outcomes: stats,
    perSecond,
  };
}

/** Nearest-rank percentile (./stats.ts) of raw samples, whole ms; null when there are none. */
export function percentileMs(values: number[], q: number): number | null {
  const p = percentileOrNull(values, q);
  return p === null ? null : Math.round(p);
}
