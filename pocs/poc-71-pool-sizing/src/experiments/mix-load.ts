import { runOpenLoop } from '@pocs/shared/open-loop';
import autocannon from 'autocannon';
import { CATEGORY_COUNT } from '../catalog.ts';

export interface LoadResult {
  connections: number;
  durationSec: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

type Kind = 'lookup' | 'page' | 'report';

/**
 * The mix: 6 primary-key lookups, 2 category pages and 2 sales reports in 10 requests
 * (60 / 20 / 20 %), interleaved so traffic never comes in bursts of one kind. The reports
 * make the database, not Node, the bottleneck, as it is where pool size matters.
 */
const SEQUENCE: Kind[] = [
  'lookup',
  'lookup',
  'page',
  'report',
  'lookup',
  'lookup',
  'lookup',
  'page',
  'report',
  'lookup',
];

function randomPath(kind: Kind, products: number): string {
  const category = Math.floor(Math.random() * CATEGORY_COUNT);
  if (kind === 'lookup') return `/products/${1 + Math.floor(Math.random() * products)}`;
  if (kind === 'page') return `/categories/${category}/products?limit=20`;
  return `/categories/${category}/top-sellers`;
}

/** Closed loop (autocannon): a fixed number of connections, each sending as soon as it is answered. */
export async function runMixLoad({
  url,
  connections,
  durationSec,
  products,
  timeoutSec = 10,
}: {
  url: string;
  connections: number;
  durationSec: number;
  products: number;
  timeoutSec?: number;
}): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections,
    duration: durationSec,
    timeout: timeoutSec,
    requests: SEQUENCE.map((kind) => ({
      method: 'GET',
      setupRequest: (req) => ({ ...req, path: randomPath(kind, products) }),
    })),
  });
  return {
    connections,
    durationSec,
    requests: result.requests.total,
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/**
 * Open loop: `rate` requests/s whatever the service does, like users who don't know the
 * pool is starved. A pool that can't keep up builds a queue that only grows.
 */
export async function runOpenMixLoad({
  url,
  rate,
  durationSec,
  products,
  timeoutSec = 10,
}: {
  url: string;
  rate: number;
  durationSec: number;
  products: number;
  timeoutSec?: number;
}): Promise<LoadResult> {
  let non2xx = 0;
  const result = await runOpenLoop({
    ratePerSec: rate,
    durationSec,
    // Latency covers every answer, successes and 503s alike: a 503 after 500 ms is slow too.
    outcomes: ['answered', 'error'] as const,
    send: async (i) => {
      const res = await fetch(`${url}${randomPath(SEQUENCE[i % SEQUENCE.length]!, products)}`, {
        signal: AbortSignal.timeout(timeoutSec * 1000),
      });
      await res.arrayBuffer();
      if (!res.ok) non2xx++;
      return 'answered';
    },
  });
  const { answered, error } = result.outcomes;
  return {
    connections: 0,
    durationSec,
    requests: result.sent,
    rps: answered.count / durationSec,
    p50Ms: answered.p50Ms ?? 0,
    p99Ms: answered.p99Ms ?? 0,
    non2xx,
    errors: error.count,
    timeouts: error.count,
  };
}
