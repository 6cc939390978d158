import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildService } from '@pocs/shared/child-service';
import { type OpenLoopResult, runOpenLoop } from '@pocs/shared/open-loop';
import { parsePrometheusText, sumOf } from '@pocs/shared/prom-text';
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
  /** Memory samples at or above the RSS bound. */
  samplesOverRssBound: number;
  peakRssMb: number;
  /** Broker mode: the run's queue on RabbitMQ (the service deletes it when it stops). */
  brokerQueue: string | null;
  /** Largest queue depth sampled (broker mode: ready messages on the broker). */
  maxQueueDepth: number;
  /** Least-squares slope of RSS and heap over the load, MB/s. */
  rssSlopeMbPerSec: number;
  heapSlopeMbPerSec: number;
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
 * The load stops early when RSS reaches `rssBoundMb`.
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
  env = {},
}: {
  mode: AdmissionMode;
  port: number;
  ratePerSec: number;
  durationSec: number;
  deadlineMs?: number;
  rssBoundMb?: number;
  maxOldSpaceMb?: number;
  sampleMs?: number;
  env?: Record<string, string>;
}): Promise<OverloadResult> {
  const service = await startChildService({
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
  const health = (await (await fetch(`${service.url}/health`)).json()) as {
    brokerQueue?: string;
  };
  const samples: MemorySample[] = [];
  let stopAtSec: number | null = null;
  let shedWithoutRetryAfter = 0;
  const startedAt = performance.now();
  const elapsedSec = () => (performance.now() - startedAt) / 1000;

  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const tickAt = performance.now();
      try {
        const text = await (
          await fetch(`${service.url}/metrics`, { signal: AbortSignal.timeout(2_000) })
        ).text();
        const s = parsePrometheusText(text);
        const sample: MemorySample = {
          tSec: round1(elapsedSec()),
          rssMb: round1(sumOf(s, 'process_resident_memory_bytes') / 2 ** 20),
          heapUsedMb: round1(sumOf(s, 'nodejs_heap_size_used_bytes') / 2 ** 20),
          inFlight: sumOf(s, 'jobs_in_flight'),
          queueDepth: sumOf(s, 'jobs_queue_depth'),
          limit: sumOf(s, 'jobs_admission_limit'),
        };
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
  } finally {
    sampling = false;
    await sampler;
    await service.stop(2_000);
  }

  const loadSec = stopAtSec ?? durationSec;
  const during = samples.filter((s) => s.tSec <= loadSec);
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
    peakRssMb: Math.max(0, ...samples.map((s) => s.rssMb)),
    brokerQueue: health.brokerQueue ?? null,
    maxQueueDepth: Math.max(0, ...samples.map((s) => s.queueDepth)),
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
