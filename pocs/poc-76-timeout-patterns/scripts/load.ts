import { performance } from 'node:perf_hooks';
import { percentileOrNull } from '@pocs/shared/stats';
import { sleep } from '@pocs/shared/wait';

export interface Sent {
  /** ms after the load started. */
  sentAtMs: number;
  /** null until answered (or given up). */
  latencyMs: number | null;
  /** HTTP status, or 0 when the client gave up or the connection failed. */
  status: number | null;
}

/**
 * Open-loop load on the gateway: request i leaves at i / rate s whatever happened to
 * earlier ones, as users do. Each caller gives up after giveUpMs (status 0), so the load
 * always ends. `sent` resolves when the last request has left, `done` when all settled.
 */
export function driveLoad({
  url,
  ratePerSec,
  count,
  giveUpMs,
  tries = 1,
  headers = {},
}: {
  url: string;
  ratePerSec: number;
  count: number;
  giveUpMs: number;
  /** Client-side tries on 5xx or network errors: the first layer of retries. */
  tries?: number;
  headers?: Record<string, string>;
}): { requests: Sent[]; sent: Promise<void>; done: Promise<Sent[]>; startedAt: number } {
  const requests: Sent[] = [];
  const startedAt = performance.now();
  const pending: Promise<void>[] = [];
  const one = async (entry: Sent) => {
    const signal = AbortSignal.timeout(giveUpMs);
    let status = 0;
    for (let t = 0; t < tries && !signal.aborted; t++) {
      try {
        const res = await fetch(url, { signal, headers });
        await res.arrayBuffer();
        status = res.status;
        if (status < 500) break;
      } catch {
        status = 0;
      }
    }
    entry.status = status;
    entry.latencyMs = Math.round(performance.now() - startedAt - entry.sentAtMs);
  };
  const sent = (async () => {
    for (let i = 0; i < count; i++) {
      const wait = startedAt + (i * 1000) / ratePerSec - performance.now();
      if (wait > 0) await sleep(wait);
      const entry: Sent = {
        sentAtMs: Math.round(performance.now() - startedAt),
        latencyMs: null,
        status: null,
      };
      requests.push(entry);
      pending.push(one(entry));
    }
  })();
  const done = sent.then(() => Promise.all(pending)).then(() => requests);
  return { requests, sent, done, startedAt };
}

/** Nearest-rank percentile, whole ms; null without samples. */
export function percentileMs(values: number[], q: number): number | null {
  const p = percentileOrNull(values, q);
  return p === null ? null : Math.round(p);
}

/** Requests not answered within limitMs of being sent, as of nowMs (load clock). */
export function lateCount(requests: Sent[], limitMs: number, nowMs: number): number {
  return requests.filter((r) =>
    r.latencyMs === null ? nowMs - r.sentAtMs > limitMs : r.latencyMs > limitMs,
  ).length;
}
