import { performance } from 'node:perf_hooks';
import { max, percentile } from '@pocs/shared/stats';

/** How one request of a burst ended. */
export type Outcome =
  /** 200: it got a connection and an answer. */
  | 'served'
  /** 503 "database busy": no connection within the acquire timeout. */
  | 'gaveUp'
  /** 503 "database unavailable" or another 5xx: the database refused or dropped it. */
  | 'failed'
  /** No HTTP answer at all within the client's timeout. */
  | 'noAnswer';

export interface BurstResult {
  requests: number;
  served: number;
  gaveUp: number;
  failed: number;
  noAnswer: number;
  /** When the last answer of the burst arrived, ms after the first request left. */
  lastAnswerMs: number;
  /** Latency of the served requests (null when none was). */
  servedP50Ms: number | null;
  servedMaxMs: number | null;
}

/** Answers so far, for progress lines while the burst runs. */
export type BurstTally = Pick<BurstResult, 'served' | 'gaveUp' | 'failed' | 'noAnswer'>;

async function classify(res: Response): Promise<Outcome> {
  const body = await res.text();
  if (res.ok) return 'served';
  if (res.status === 503 && body.includes('database busy')) return 'gaveUp';
  return 'failed';
}

/**
 * A closed burst: `perUrl` requests sent at once to each URL, then wait for every
 * answer. Unlike an open-loop rate, the arithmetic is fixed (N requests, pool P, hold H,
 * timeout T), so the outcome does not depend on how fast this machine is today.
 */
export async function fireBurst({
  urls,
  perUrl,
  path,
  timeoutMs = 10_000,
  onTick,
  tickMs = 500,
}: {
  urls: readonly string[];
  perUrl: number;
  /** Path of request i (per URL). */
  path: (i: number) => string;
  timeoutMs?: number;
  /** Called every tickMs while answers are outstanding. */
  onTick?: (elapsedMs: number, tally: BurstTally) => void | Promise<void>;
  tickMs?: number;
}): Promise<BurstResult> {
  const tally: BurstTally = { served: 0, gaveUp: 0, failed: 0, noAnswer: 0 };
  const servedMs: number[] = [];
  let lastAnswerMs = 0;
  const started = performance.now();
  const ticker = onTick
    ? setInterval(() => void onTick(performance.now() - started, { ...tally }), tickMs)
    : undefined;
  const one = async (url: string, i: number) => {
    let outcome: Outcome;
    try {
      const res = await fetch(`${url}${path(i)}`, { signal: AbortSignal.timeout(timeoutMs) });
      outcome = await classify(res);
    } catch {
      outcome = 'noAnswer';
    }
    const at = performance.now() - started;
    lastAnswerMs = Math.max(lastAnswerMs, at);
    tally[outcome]++;
    if (outcome === 'served') servedMs.push(at);
  };
  try {
    await Promise.all(urls.flatMap((url) => Array.from({ length: perUrl }, (_, i) => one(url, i))));
  } finally {
    clearInterval(ticker);
  }
  return {
    requests: urls.length * perUrl,
    ...tally,
    lastAnswerMs: Math.round(lastAnswerMs),
    servedP50Ms: servedMs.length ? Math.round(percentile(servedMs, 0.5)) : null,
    servedMaxMs: servedMs.length ? Math.round(max(servedMs)) : null,
  };
}
