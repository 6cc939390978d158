import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { latencyBucketsSeconds } from './metrics.ts';
import type { InstrumentedPool } from './pool.ts';

const poolsByRegistry = new WeakMap<Registry, Set<InstrumentedPool>>();

/**
 * Turn an InstrumentedPool's events into Prometheus metrics. Client gauges are read
 * at scrape time; histograms and counters follow events.
 */
export function registerPoolMetrics(pool: InstrumentedPool, registry: Registry): void {
  const labels = { pool: pool.name };
  const pools = poolsByRegistry.get(registry) ?? new Set<InstrumentedPool>();
  poolsByRegistry.set(registry, pools);
  pools.add(pool);
  getOrCreate(
    registry,
    'db_pool_clients',
    () =>
      new Gauge({
        name: 'db_pool_clients',
        help: 'Pool clients by state: total, idle, leased (checked out) and waiting (callers queued for a client)',
        labelNames: ['pool', 'state'],
        registers: [registry],
        // Read at scrape time from every pool on this registry, so never stale.
        collect() {
          for (const p of pools) {
            const s = p.stats();
            this.set({ pool: p.name, state: 'total' }, s.total);
            this.set({ pool: p.name, state: 'idle' }, s.idle);
            this.set({ pool: p.name, state: 'leased' }, s.leased);
            this.set({ pool: p.name, state: 'waiting' }, s.waiting);
          }
        },
      }),
  );
  const maxClients = getOrCreate(
    registry,
    'db_pool_max_clients',
    () =>
      new Gauge({
        name: 'db_pool_max_clients',
        help: 'Configured maximum number of clients in the pool',
        labelNames: ['pool'],
        registers: [registry],
      }),
  ) as Gauge<'pool'>;
  const acquireWait = getOrCreate(
    registry,
    'db_pool_acquire_wait_seconds',
    () =>
      new Histogram({
        name: 'db_pool_acquire_wait_seconds',
        help: 'Time a caller waited for a pool client, in seconds',
        labelNames: ['pool'],
        buckets: latencyBucketsSeconds,
        registers: [registry],
      }),
  ) as Histogram<'pool'>;
  const hold = getOrCreate(
    registry,
    'db_pool_hold_seconds',
    () =>
      new Histogram({
        name: 'db_pool_hold_seconds',
        help: 'Time a client was held between acquire and release, in seconds',
        labelNames: ['pool'],
        buckets: latencyBucketsSeconds,
        registers: [registry],
      }),
  ) as Histogram<'pool'>;
  const timeouts = getOrCreate(
    registry,
    'db_pool_acquire_timeouts_total',
    () =>
      new Counter({
        name: 'db_pool_acquire_timeouts_total',
        help: 'Acquire attempts that gave up after the acquire timeout',
        labelNames: ['pool'],
        registers: [registry],
      }),
  ) as Counter<'pool'>;
  const queryTimeouts = getOrCreate(
    registry,
    'db_pool_query_timeouts_total',
    () =>
      new Counter({
        name: 'db_pool_query_timeouts_total',
        help: 'Queries that got no answer within the client-side query timeout (each destroys its client)',
        labelNames: ['pool'],
        registers: [registry],
      }),
  ) as Counter<'pool'>;
  const leaks = getOrCreate(
    registry,
    'db_pool_leaks_detected_total',
    () =>
      new Counter({
        name: 'db_pool_leaks_detected_total',
        help: 'Clients held past the leak detection threshold (each reported once)',
        labelNames: ['pool'],
        registers: [registry],
      }),
  ) as Counter<'pool'>;

  maxClients.set(labels, pool.max);
  timeouts.inc(labels, 0);
  queryTimeouts.inc(labels, 0);
  leaks.inc(labels, 0);

  pool.on('acquire', ({ waitMs }) => acquireWait.observe(labels, waitMs / 1000));
  pool.on('release', ({ holdMs }) => hold.observe(labels, holdMs / 1000));
  pool.on('timeout', ({ waitMs }) => {
    acquireWait.observe(labels, waitMs / 1000);
    timeouts.inc(labels);
  });
  pool.on('queryTimeout', () => queryTimeouts.inc(labels));
  pool.on('leak', () => leaks.inc(labels));
}

function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}
