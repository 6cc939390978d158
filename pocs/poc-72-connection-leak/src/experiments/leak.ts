import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startChildService } from '@pocs/shared/child-service';
import { createPool } from '@pocs/shared/pool';
import { scrapePool, watchPool } from '@pocs/shared/pool-watch';
import { sleep, waitFor } from '@pocs/shared/wait';
import { type LoadResult, runRefundLoad } from './refund-load.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type Variant = 'bug' | 'fix';

export interface LeakExperimentOptions {
  /** bug = BREAK_LEAK_ON_ERROR=1 (refundOrderLeaky); fix = refundOrder with withClient(). */
  variant: Variant;
  port: number;
  postgresUrl: string;
  ratePerSec: number;
  durationSec: number;
  /** Share of refunds sent over the order's balance (each one takes the error path). */
  errorRate: number;
  poolMax: number;
  acquireTimeoutMs: number;
  leakThresholdMs: number;
  /** PG_DANGEROUSLY_FORCE_RELEASE_LEAKS for the run. */
  forceReleaseLeaks?: boolean;
  orders?: number;
  print?: (line: string) => void;
}

/** The pool as /metrics showed it, once a second while the load ran. */
export interface PoolSample {
  second: number;
  leased: number;
  idle: number;
  total: number;
  waiting: number;
  acquireTimeouts: number;
  leaksDetected: number;
}

/** What the leak detector logged: how long the client was held, and who took it. */
export interface LeakSeen {
  heldMs: number;
  thresholdMs: number;
  /** First frames of the acquiring stack, paths relative to the POC. frames[0] is the culprit. */
  frames: string[];
  /** When the report appeared, since the load started. */
  reportedAtMs: number;
}

export interface LeakExperimentResult {
  variant: Variant;
  handler: 'refundOrderLeaky' | 'refundOrder';
  forceReleaseLeaks: boolean;
  load: LoadResult;
  /** Clients still checked out once every response was in: nobody will ever release them. */
  leakedClients: number;
  leaksDetected: number;
  acquireTimeouts: number;
  idleAtEnd: number;
  totalAtEnd: number;
  /** When the first request that ended in a 503 was sent: the pool was empty from then on. */
  timeToExhaustionMs: number | null;
  firstLeak: LeakSeen | null;
  samples: PoolSample[];
}

let runs = 0;

/**
 * Start the orders service with one refund handler, send refunds at a fixed rate with a
 * share of them over balance, and record what the pool did. Every run gets its own
 * Postgres schema, dropped at the end with the service stopped.
 */
export async function runLeakExperiment(o: LeakExperimentOptions): Promise<LeakExperimentResult> {
  const forceReleaseLeaks = o.forceReleaseLeaks ?? false;
  const orders = o.orders ?? 1_000;
  const schema = `poc72_run_${o.variant}_${process.pid}_${++runs}`;
  const leaks: LeakSeen[] = [];
  let loadStart = performance.now();
  let pending = '';
  const onOutput = (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const leak = parseLeakLine(line, performance.now() - loadStart);
      if (!leak) continue;
      leaks.push(leak);
      if (leaks.length <= 3)
        o.print?.(
          `  ⚠ leak reported: client held ${leak.heldMs} ms (threshold ${leak.thresholdMs} ms), acquired ${leak.frames[0]}`,
        );
    }
  };

  const service = await startChildService({
    entry: 'src/server.ts',
    cwd: root,
    port: o.port,
    onOutput,
    env: {
      POSTGRES_URL: o.postgresUrl,
      DB_SCHEMA: schema,
      SEED_ORDERS: String(orders),
      PG_POOL_MAX: String(o.poolMax),
      PG_ACQUIRE_TIMEOUT_MS: String(o.acquireTimeoutMs),
      PG_LEAK_THRESHOLD_MS: String(o.leakThresholdMs),
      PG_DANGEROUSLY_FORCE_RELEASE_LEAKS: forceReleaseLeaks ? '1' : '0',
      BREAK_LEAK_ON_ERROR: o.variant === 'bug' ? '1' : '0',
      INJECT_ERROR_RATE: '0',
    },
  });
  const samples: PoolSample[] = [];
  // Sample between two requests (they leave every 1000 / rate ms), not on top of one,
  // so a healthy pool reads 0 leased rather than the request that happens to be in flight.
  const offsetMs = 500 / o.ratePerSec;
  let sampling = true;
  let watcher: { stop: () => void } | undefined;
  let startWatcher: NodeJS.Timeout | undefined;
  try {
    loadStart = performance.now();
    const loadStartWall = Date.now();
    const sampler = (async () => {
      for (let tick = 0; sampling; tick++) {
        const due = loadStartWall + offsetMs + tick * 1_000 - Date.now();
        if (due > 0) await sleep(due);
        if (!sampling) break;
        const s = await scrapePool(service.url);
        samples.push({
          second: Math.round((s.atMs - loadStartWall) / 1000),
          leased: s.leased,
          idle: s.idle,
          total: s.total,
          waiting: s.waiting,
          acquireTimeouts: s.timeouts,
          leaksDetected: s.leaks,
        });
      }
    })();
    // Awaited below on the happy path; this only keeps a failed scrape after an error quiet.
    sampler.catch(() => {});
    const print = o.print;
    if (print) {
      startWatcher = setTimeout(() => {
        watcher = watchPool(service.url, { print: (l) => print(`  ${l}`) });
      }, offsetMs);
    }
    const load = await runRefundLoad({
      url: service.url,
      ratePerSec: o.ratePerSec,
      durationSec: o.durationSec,
      errorRate: o.errorRate,
      orders,
    }).finally(() => {
      sampling = false;
    });
    await sampler;
    clearTimeout(startWatcher);
    watcher?.stop();

    const leakedClients = (await scrapePool(service.url)).leased;
    // Give the detector its threshold: every client still out gets reported (or, with
    // force-release, destroyed) before the numbers are read.
    const end = await waitFor(
      async () => {
        const s = await scrapePool(service.url);
        return s.leased === 0 || (!forceReleaseLeaks && s.leaks >= s.leased) ? s : undefined;
      },
      {
        timeoutMs: o.leakThresholdMs + 2_000,
        intervalMs: 100,
        description: 'the leak detector to report every client still leased',
      },
    );
    return {
      variant: o.variant,
      handler: o.variant === 'bug' ? 'refundOrderLeaky' : 'refundOrder',
      forceReleaseLeaks,
      load,
      leakedClients,
      leaksDetected: end.leaks,
      acquireTimeouts: end.timeouts,
      idleAtEnd: end.idle,
      totalAtEnd: end.total,
      timeToExhaustionMs: load.firstUnavailableSentAtMs,
      firstLeak: leaks[0] ?? null,
      samples,
    };
  } finally {
    sampling = false;
    clearTimeout(startWatcher);
    watcher?.stop();
    await service.stop();
    await dropSchema(o.postgresUrl, schema);
  }
}

/** A pool leak report from the service's JSON log, or undefined for any other line. */
export function parseLeakLine(line: string, atMs: number): LeakSeen | undefined {
  if (!line.includes('connection leak')) return undefined;
  try {
    const entry = JSON.parse(line) as { heldMs?: number; thresholdMs?: number; stack?: string };
    if (typeof entry.stack !== 'string' || typeof entry.heldMs !== 'number') return undefined;
    return {
      heldMs: entry.heldMs,
      thresholdMs: entry.thresholdMs ?? 0,
      frames: stackFrames(entry.stack, 2),
      reportedAtMs: Math.round(atMs),
    };
  } catch {
    return undefined;
  }
}

/** The first `count` frames of a stack, trimmed, with paths shown relative to this POC. */
export function stackFrames(stack: string, count: number): string[] {
  return stack
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at '))
    .slice(0, count)
    .map((l) => l.replace('file://', '').replaceAll(`${root}/`, ''));
}

async function dropSchema(postgresUrl: string, schema: string): Promise<void> {
  // The shared pool, not a bare pg.Client: an 'error' listener and bounds on connect and query.
  const pool = createPool({
    connectionString: postgresUrl,
    name: 'cleanup',
    applicationName: 'poc-72-cleanup',
    max: 1,
    acquireTimeoutMs: 5_000,
    statementTimeoutMs: 30_000, // a cascade over a big schema can take a while
  });
  try {
    await pool.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await pool.end();
  }
}
