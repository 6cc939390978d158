import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One registry per app (tests get a fresh one each), with Node's process metrics. `poc` becomes
 * a label on every series (`poc="poc-71"`), so one dashboard or one Prometheus can scrape every
 * POC and tell them apart without per-POC metric prefixes.
 */
export function createRegistry({
  defaultMetrics = true,
  poc,
}: {
  defaultMetrics?: boolean;
  /** The package name, e.g. 'poc-71'. */
  poc?: string;
} = {}): Registry {
  const registry = new Registry();
  if (poc) registry.setDefaultLabels({ poc });
  if (defaultMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Latency buckets from 1 ms to 10 s: wide enough for a pool that starves. */
export const latencyBucketsSeconds = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export function createHttpDurationHistogram(
  registry: Registry,
): Histogram<'method' | 'route' | 'status_code'> {
  return new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: latencyBucketsSeconds,
    registers: [registry],
  });
}
