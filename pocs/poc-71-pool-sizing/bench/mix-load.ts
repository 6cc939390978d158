import autocannon from 'autocannon';
import { CATEGORY_COUNT } from '../src/catalog.ts';

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

/**
 * The realistic mix each connection cycles through: 16 primary-key lookups,
 * 3 category pages and 1 heavier aggregate (80 / 15 / 5 %).
 */
function mixRequests(products: number): autocannon.Request[] {
  const randomProduct = () => 1 + Math.floor(Math.random() * products);
  const randomCategory = () => Math.floor(Math.random() * CATEGORY_COUNT);
  const lookup: autocannon.Request = {
    method: 'GET',
    setupRequest: (req) => ({ ...req, path: `/products/${randomProduct()}` }),
  };
  const page: autocannon.Request = {
    method: 'GET',
    setupRequest: (req) => ({ ...req, path: `/categories/${randomCategory()}/products?limit=20` }),
  };
  const report: autocannon.Request = {
    method: 'GET',
    setupRequest: (req) => ({ ...req, path: `/categories/${randomCategory()}/top-sellers` }),
  };
  return [
    ...Array(6).fill(lookup),
    page,
    ...Array(5).fill(lookup),
    page,
    ...Array(5).fill(lookup),
    page,
    report,
  ];
}

export async function runMixLoad({
  url,
  connections,
  durationSec,
  products,
  timeoutSec = 10,
  overallRate,
}: {
  url: string;
  connections: number;
  durationSec: number;
  products: number;
  timeoutSec?: number;
  /** Cap on requests/s across all connections; unset = as fast as responses come back. */
  overallRate?: number;
}): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections,
    duration: durationSec,
    timeout: timeoutSec,
    requests: mixRequests(products),
    ...(overallRate ? { overallRate } : {}),
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
