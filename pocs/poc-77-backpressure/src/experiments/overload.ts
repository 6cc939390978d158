import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildService, startChildService } from '@pocs/shared/child-service';
import { type OpenLoopResult, runOpenLoop } from '@pocs/shared/open-loop';
import { bucketsOf, parsePrometheusText, type Sample, sumOf } from '@pocs/shared/prom-text';
import type { AdmissionMode } from '../config.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const outcomes = ['ok', 'late', 'shed', 'skipped', 'failed'] as const;
export type Outcome = (typeof outcomes)[number];

export interface MemorySample {
  tSec: number;
  rssMb: number;
  heapUsedMb: number;
  inFlight: number;
  /** Jobs waiting: the in-process queue, or in broker mode the ready messages on RabbitMQ. */
  queueDepth: number;
  /** Admission limit at that moment; -1 when unbounded. */
  limit: number;
}

/**
 * What the service itself counted, scraped once after the load (and after the backlog
 * drained, when it could within `drainTimeoutMs`). Server-side facts: no client clock in them.
 */
export interface ServiceCounts {
  /** Jobs let past the admission gate (broker: publishes the broker confirmed). */
  admitted: number;
  completed: number;
  /** 429s the service sent. */
  shed: number;
  /** Admitted jobs not finished when the counts were read (the backlog left behind). */
  inFlightAtEnd: number;
  /** Jobs a worker started (their queue wait is recorded). */
  started: number;
  /**
   * Jobs that waited in the service's queue (broker: on RabbitMQ) longer than `waitBoundSec`
   * before a worker started them: their client had given up before the work began.
   */
  waitedPastDeadline: number;
  /** The histogram bucket the count above is read at: the largest at or below the deadline. */
  waitBoundSec: number;
  /** Queue waits of the started jobs, cumulative histogram buckets (`le` in seconds). */
  waitBuckets: { le: number; count: number }[];
  /** Every started job waited at most this long: the smallest bucket holding them all, s. */
  maxWaitAtMostSec: number | null;
}

export interface OverloadResult {
  mode: AdmissionMode;
  ratePerSec: number;
  deadlineMs: number;
  /** Why the load stopped: the planned duration, or the RSS bound (counted, never waited out). */
  stoppedBy: 'duration' | 'rss-bound';
  loadSec: number;
  load: OpenLoopResult<Outcome>;
  /** Requests answered 200 within their deadline, per second of load. */
  goodputPerSec: number;
  /** p99 of the requests that were answered 200, ms. */
  okP99Ms: number | null;
  /** Did every 429 carry Retry-After? */
  shedWithoutRetryAfter: number;
  samples: MemorySample[];
  /** Memory samples at or above the RSS bound (the one taken as the load ended included). */
  samplesOverRssBound: number;
  peakRssMb: number;
  /** Broker mode: the run's queue on RabbitMQ (the service deletes it when it stops). */
  brokerQueue: string | null;
  /** Largest queue depth sampled (broker mode: ready messages on the broker). */
  maxQueueDepth: number;
  /** Largest number of admitted jobs sampled (running + queued). */
  maxInFlight: number;
  /** The service's own counters, read after the load. */
  service: ServiceCounts;
  /** Least-squares slope of RSS and heap over the load, MB/s. */
  rssSlopeMbPerSec: number;
  heapSlopeMbPerSec: number;
}

/**
 * The job service in its own process, heap capped with --max-old-space-size, so the bug
 * can't eat the machine. `runOverload` starts one itself, or takes one started here (a test
 * starts its services side by side before any load, then loads them one at a time).
 */
export function startJobService({
  mode,
  port,
  maxOldSpaceMb = 512,
  env = {},
}: {
  mode: AdmissionMode;
  port: number;
  maxOldSpaceMb?: number;
  env?: Record<string, string>;
}): Promise<ChildService> {
  return startChildService({
    entry: 'src/server.ts',
    cwd: root,
    port,
    env: {
      ADMISSION_MODE: mode,
      NODE_OPTIONS:
        `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${maxOldSpaceMb}`.trim(),
      ...env,
    },
  });
}

/** Least-squares slope of y over x. */
export function slope(points: [x: number, y: number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Start the service in its own process (heap capped with --max-old-space-size), offer
 * `ratePerSec` jobs/s open loop for `durationSec`, scrape its /metrics every `sampleMs`.
 * The load stops early when RSS reaches `rssBoundMb`. Then read the service's own counts
 * (after the admitted jobs drained, where they can) and stop it.
 */
export async function runOverload({
  mode,
  port,
  ratePerSec,
  durationSec,
  deadlineMs = 1_000,
  rssBoundMb = 300,
  maxOldSpaceMb = 512,
  sampleMs = 250,
  drainTimeoutMs = 3_000,
  env = {},
  service: given,
}: {
  mode: AdmissionMode;
  port: number;
  ratePerSec: number;
  durationSec: number;
  deadlineMs?: number;
  rssBoundMb?: number;
  maxOldSpaceMb?: number;
  sampleMs?: number;
  /** After the load, wait up to this long for the admitted jobs to finish before the final count. */
  drainTimeoutMs?: number;
  env?: Record<string, string>;
  /** A service already started by `startJobService` with these mode, port and env; stopped here. */
  service?: ChildService;
}): Promise<OverloadResult> {
  const service = given ?? (await startJobService({ mode, port, maxOldSpaceMb, env }));
  const health = (await (await fetch(`${service.url}/health`)).json()) as {
    brokerQueue?: string;
    capacity: number;
  };
  const scrape = async (timeoutMs = 2_000): Promise<Sample[]> =>
    parsePrometheusText(
      await (
        await fetch(`${service.url}/metrics`, { signal: AbortSignal.timeout(timeoutMs) })
      ).text(),
    );
  const samples: MemorySample[] = [];
  let stopAtSec: number | null = null;
  let shedWithoutRetryAfter = 0;
  const startedAt = performance.now();
  const elapsedSec = () => (performance.now() - startedAt) / 1000;
  const toSample = (s: Sample[]): MemorySample => ({
    tSec: round1(elapsedSec()),
    rssMb: round1(sumOf(s, 'process_resident_memory_bytes') / 2 ** 20),
    heapUsedMb: round1(sumOf(s, 'nodejs_heap_size_used_bytes') / 2 ** 20),
    inFlight: sumOf(s, 'jobs_in_flight'),
    queueDepth: sumOf(s, 'jobs_queue_depth'),
    limit: sumOf(s, 'jobs_admission_limit'),
  });

  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const tickAt = performance.now();
      try {
        const sample = toSample(await scrape());
        samples.push(sample);
        if (sample.rssMb >= rssBoundMb) {
          // The bound: stop the load and stop watching; the run is counted, not waited out.
          stopAtSec = elapsedSec();
          break;
        }
      } catch {
        // A scrape that times out is a missing sample, not a result.
      }
      const wait = sampleMs - (performance.now() - tickAt);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();

  let load: OpenLoopResult<Outcome>;
  let final: Sample[] = [];
  let drained = false;
  try {
    load = await runOpenLoop({
      ratePerSec,
      durationSec,
      outcomes,
      send: async (i): Promise<Outcome> => {
        if (stopAtSec !== null) return 'skipped';
        try {
          const res = await fetch(`${service.url}/jobs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ task: `job-${i}` }),
            signal: AbortSignal.timeout(deadlineMs),
          });
          await res.arrayBuffer();
          if (res.status === 200) return 'ok';
          if (res.status === 429) {
            if (!res.headers.get('retry-after')) shedWithoutRetryAfter++;
            return 'shed';
          }
          return 'failed';
        } catch (err) {
          return (err as Error).name === 'TimeoutError' ? 'late' : 'failed';
        }
      },
    });
    sampling = false;
    await sampler;
    // One more sample as the load ends: on a busy machine a scrape can time out (a missing
    // sample), and the RSS the service reached must not go missing with it.
    final = await scrape(10_000);
    samples.push(toSample(final));
    // Let what was admitted finish, so completed can be compared with admitted; a backlog
    // that cannot drain in time at the service's capacity is counted as it is, not waited out.
    const drainBy = performance.now() + drainTimeoutMs;
    for (;;) {
      const inFlight = sumOf(final, 'jobs_in_flight');
      drained = inFlight === 0;
      const left = drainBy - performance.now();
      if (drained || left <= 0 || (inFlight / health.capacity) * 1000 > left) break;
      await new Promise((r) => setTimeout(r, 50));
      final = await scrape(10_000);
    }
  } finally {
    sampling = false;
    await sampler;
    // Broker mode deletes its queue on a clean stop; an undrained in-memory backlog is killed.
    await service.stop(drained || health.brokerQueue ? 5_000 : 500);
  }

  const loadSec = stopAtSec ?? durationSec;
  const during = samples.filter((s) => s.tSec <= loadSec);
  const deadlineSec = deadlineMs / 1000;
  const waitBuckets = bucketsOf(final, 'jobs_queue_wait_seconds').sort((a, b) => a.le - b.le);
  const atBound = waitBuckets
    .filter((b) => b.le <= deadlineSec)
    .reduce((best, b) => (b.le > best.le ? b : best), { le: 0, count: 0 });
  const started = sumOf(final, 'jobs_queue_wait_seconds_count');
  const peakRssMb = Math.max(0, ...samples.map((s) => s.rssMb));
  return {
    mode,
    ratePerSec,
    deadlineMs,
    stoppedBy: stopAtSec === null ? 'duration' : 'rss-bound',
    loadSec: round1(loadSec),
    load,
    goodputPerSec: round1(load.outcomes.ok.count / loadSec),
    okP99Ms: load.outcomes.ok.p99Ms,
    shedWithoutRetryAfter,
    samples,
    samplesOverRssBound: samples.filter((s) => s.rssMb >= rssBoundMb).length,
    peakRssMb,
    brokerQueue: health.brokerQueue ?? null,
    maxQueueDepth: Math.max(0, ...samples.map((s) => s.queueDepth)),
    maxInFlight: Math.max(0, ...samples.map((s) => s.inFlight)),
    service: {
      admitted: sumOf(final, 'jobs_admitted_total'),
      completed: sumOf(final, 'jobs_completed_total'),
      shed: sumOf(final, 'jobs_shed_total'),
      inFlightAtEnd: sumOf(final, 'jobs_in_flight'),
      started,
      waitedPastDeadline: started - atBound.count,
      waitBoundSec: atBound.le,
      waitBuckets,
      maxWaitAtMostSec: waitBuckets.find((b) => b.count === started)?.le ?? null,
    },
    rssSlopeMbPerSec: round1(slope(during.map((s) => [s.tSec, s.rssMb]))),
    heapSlopeMbPerSec: round1(slope(during.map((s) => [s.tSec, s.heapUsedMb]))),
  };
}

/**
 * Capacity, measured: `clients` callers each send their next job as soon as the last one
 * answers (closed loop, so nothing queues beyond them) for `durationSec`.
 */
export async function measureCapacity({
  port,
  clients,
  durationSec,
  env = {},
}: {
  port: number;
  clients: number;
  durationSec: number;
  env?: Record<string, string>;
}): Promise<{ clients: number; durationSec: number; completed: number; perSec: number }> {
  const service = await startChildService({
    entry: 'src/server.ts',
    cwd: root,
    port,
    env: { ADMISSION_MODE: 'unbounded', ...env },
  });
  let completed = 0;
  const endAt = performance.now() + durationSec * 1000;
  try {
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        while (performance.now() < endAt) {
          const res = await fetch(`${service.url}/jobs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ task: `capacity-${c}` }),
          });
          await res.arrayBuffer();
          if (res.status === 200 && performance.now() <= endAt) completed++;
        }
      }),
    );
  } finally {
    await service.stop(2_000);
  }
  return { clients, durationSec, completed, perSec: round1(completed / durationSec) };
}
