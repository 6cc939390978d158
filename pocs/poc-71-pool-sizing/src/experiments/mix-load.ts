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
