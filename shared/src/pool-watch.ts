import {
  bucketsOf,
  histogramQuantile,
  parsePrometheusText,
  type Sample,
  sumOf,
} from './prom-text.ts';

/** What a person watching a starving pool wants to see, read from a service's /metrics. */
export interface PoolSnapshot {
  atMs: number;
  total: number;
  idle: number;
  leased: number;
  waiting: number;
  max: number;
  timeouts: number;
  leaks: number;
  requests: number;
  acquireBuckets: { le: number; count: number }[];
  requestBuckets: { le: number; count: number }[];
}

export function poolSnapshotFrom(samples: Sample[], atMs: number, pool = 'main'): PoolSnapshot {
  const state = (s: string) => sumOf(samples, 'db_pool_clients', { pool, state: s });
  return {
    atMs,
    total: state('total'),
    idle: state('idle'),
    leased: state('leased'),
    waiting: state('waiting'),
    max: sumOf(samples, 'db_pool_max_clients', { pool }),
    timeouts: sumOf(samples, 'db_pool_acquire_timeouts_total', { pool }),
    leaks: sumOf(samples, 'db_pool_leaks_detected_total', { pool }),
    // Scrapes of /metrics itself are not traffic.
    requests:
      sumOf(samples, 'http_request_duration_seconds_count') -
      sumOf(samples, 'http_request_duration_seconds_count', { route: '/metrics' }),
    acquireBuckets: bucketsOf(samples, 'db_pool_acquire_wait_seconds', { pool }),
    requestBuckets: bucketsOf(samples, 'http_request_duration_seconds'),
  };
}

export async function scrapePool(baseUrl: string, pool = 'main'): Promise<PoolSnapshot> {
  const res = await fetch(`${baseUrl}/metrics`);
  if (!res.ok) throw new Error(`GET ${baseUrl}/metrics answered ${res.status}`);
  return poolSnapshotFrom(parsePrometheusText(await res.text()), Date.now(), pool);
}

function deltaBuckets(a: PoolSnapshot['acquireBuckets'], b: PoolSnapshot['acquireBuckets']) {
  return b.map(({ le, count }) => ({
    le,
    count: count - (a.find((x) => x.le === le)?.count ?? 0),
  }));
}

const ms = (seconds: number) =>
  Number.isNaN(seconds) ? '   -' : `${Math.round(seconds * 1000)}`.padStart(4);

/** One line for the interval between two snapshots: rates and interval p99s, not lifetime averages. */
export function formatPoolLine(prev: PoolSnapshot, cur: PoolSnapshot): string {
  const seconds = Math.max((cur.atMs - prev.atMs) / 1000, 0.001);
  const rps = (cur.requests - prev.requests) / seconds;
  const timeoutsPerSecond = (cur.timeouts - prev.timeouts) / seconds;
  const acquireP99 = histogramQuantile(0.99, deltaBuckets(prev.acquireBuckets, cur.acquireBuckets));
  const requestP99 = histogramQuantile(0.99, deltaBuckets(prev.requestBuckets, cur.requestBuckets));
  return [
    `req/s ${Math.round(rps).toString().padStart(5)}`,
    `p99 ${ms(requestP99)} ms`,
    `pool ${cur.leased}/${cur.max} leased`,
    `waiting ${cur.waiting.toString().padStart(3)}`,
    `acquire p99 ${ms(acquireP99)} ms`,
    `timeouts/s ${timeoutsPerSecond.toFixed(1).padStart(5)}`,
    `leaks ${cur.leaks}`,
  ].join(' | ');
}

/** Print formatPoolLine every intervalMs until stopped. Scrape failures print once per tick. */
export function watchPool(
  baseUrl: string,
  { intervalMs = 1_000, print = (line: string) => console.log(line), pool = 'main' } = {},
): { stop: () => void } {
  let prev: PoolSnapshot | undefined;
  let stopped = false;
  const tick = async () => {
    try {
      const cur = await scrapePool(baseUrl, pool);
      if (prev && !stopped) print(formatPoolLine(prev, cur));
      prev = cur;
    } catch (err) {
      if (!stopped) print(`(metrics unavailable: ${(err as Error).message})`);
    }
  };
  void tick();
  const timer = setInterval(tick, intervalMs);
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
