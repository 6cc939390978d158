/**
 * The herd experiments, reusable by break, bench and tests: start the flaky dependency in
 * its own process, take it down, let N clients retry with one strategy, and read the
 * dependency's own counts per window.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackoffOptions } from '@pocs/shared/backoff';
import { startChildService } from '@pocs/shared/child-service';
import { createRetryBudget } from '@pocs/shared/retry-budget';
import { createToxiproxy } from '@pocs/shared/toxiproxy';
import type { DependencyStats } from '../dependency.ts';
import { type HerdClientsResult, runClients } from '../herd.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function startDependency({
  port,
  capacityPerWindow,
  windowMs = 100,
}: {
  port: number;
  capacityPerWindow: number;
  windowMs?: number;
}) {
  const service = await startChildService({
    entry: 'src/server.ts',
    cwd: root,
    port,
    env: { CAPACITY_PER_WINDOW: String(capacityPerWindow), WINDOW_MS: String(windowMs) },
  });
  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${service.url}${path}`, {
      method: 'POST',
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`);
  };
  return {
    url: service.url,
    stop: () => service.stop(),
    /** Zero the counters, then start an outage: window 0 begins now. */
    async startOutage(durationMs: number) {
      await post('/stats/reset');
      await post('/outage', { durationMs });
    },
    /** Zero the counters: window 0 begins now. */
    resetStats: () => post('/stats/reset'),
    async endOutage() {
      await fetch(`${service.url}/outage`, { method: 'DELETE' });
    },
    async stats(): Promise<DependencyStats> {
      return (await (await fetch(`${service.url}/stats`)).json()) as DependencyStats;
    },
  };
}

export type Dependency = Awaited<ReturnType<typeof startDependency>>;

export interface HerdResult {
  strategy: BackoffOptions['strategy'];
  clients: HerdClientsResult;
  outageMs: number;
  /** When the dependency (or the network to it) came back, ms after the counters' reset. */
  recoveredAtMs: number;
  /** Requests the dependency counted, by outcome. */
  dependency: DependencyStats['total'];
  /** Requests refused for lack of capacity after the outage ended: the herd's damage. */
  overloadedAfterRecovery: number;
  /** The busiest window after recovery, requests (all outcomes). */
  peakAfterRecovery: number;
  /** Time from recovery until every client had succeeded, ms. */
  recoveryToDoneMs: number;
  windows: DependencyStats['windows'];
}

/**
 * The thundering herd: every client's first request fails at the same moment (the outage
 * starts), they all retry with `backoff` until the dependency is back and has room.
 */
export async function runHerd({
  dependency,
  clients,
  outageMs,
  backoff,
  seed,
}: {
  dependency: Dependency;
  clients: number;
  outageMs: number;
  backoff: BackoffOptions;
  seed: number;
}): Promise<HerdResult> {
  await dependency.startOutage(outageMs);
  const result = await runClients({
    url: dependency.url,
    clients,
    backoff,
    maxAttempts: 10_000,
    seed,
    deadlineMs: outageMs + 120_000,
  });
  const stats = await dependency.stats();
  return summarise(backoff, result, outageMs, stats, stats.recoveredAtMs ?? 0);
}

function summarise(
  backoff: BackoffOptions,
  result: HerdClientsResult,
  outageMs: number,
  stats: DependencyStats,
  recoveredAt: number,
): HerdResult {
  const after = stats.windows.filter((w) => w.atMs + stats.windowMs > recoveredAt);
  return {
    strategy: backoff.strategy,
    clients: result,
    outageMs,
    recoveredAtMs: recoveredAt,
    dependency: stats.total,
    overloadedAfterRecovery: after.reduce((n, w) => n + w.overloaded, 0),
    peakAfterRecovery: Math.max(0, ...after.map((w) => w.ok + w.down + w.overloaded)),
    recoveryToDoneMs: Math.max(0, result.completionMs - recoveredAt),
    windows: stats.windows,
  };
}

/**
 * The same herd with a network fault instead of 503s: the clients reach the dependency
 * through toxiproxy, which blackholes every byte for `outageMs` (a `timeout` toxic that
 * drops data and outlasts the outage). Attempts get no answer and time out after `attemptTimeoutMs`, all at once.
 */
export async function runBlackholeHerd({
  dependency,
  proxyListen,
  clients,
  outageMs,
  attemptTimeoutMs,
  backoff,
  seed,
  toxiproxyUrl,
}: {
  dependency: Dependency;
  /** host:port for the proxy, e.g. 127.0.0.1:27501. */
  proxyListen: string;
  clients: number;
  outageMs: number;
  attemptTimeoutMs: number;
  backoff: BackoffOptions;
  seed: number;
  toxiproxyUrl?: string;
}): Promise<HerdResult> {
  const proxy = await createToxiproxy(toxiproxyUrl).createProxy({
    name: `poc75-herd-${process.pid}`,
    listen: proxyListen,
    upstream: new URL(dependency.url).host,
  });
  try {
    await dependency.resetStats();
    await proxy.addToxic({
      name: 'blackhole',
      type: 'timeout',
      stream: 'upstream',
      // A timeout that outlasts the outage: bytes are dropped and connections stay open.
      // (timeout 0 would hold the bytes instead, and toxiproxy lets them through when an
      // aborted attempt closes its connection: requests would leak in during the cut.)
      attributes: { timeout: outageMs + 600_000 },
    });
    let recoveredAtEpoch = Number.NaN;
    // The fault's schedule, not a wait for a condition: heal the network after outageMs.
    const heal = setTimeout(() => {
      // Stamp recovery before the removal call: toxiproxy releases the held bytes as soon as
      // the toxic goes, which can be before its HTTP answer reaches us.
      recoveredAtEpoch = Date.now();
      void proxy.removeToxic('blackhole');
    }, outageMs);
    let result: HerdClientsResult;
    try {
      result = await runClients({
        url: `http://${proxyListen}`,
        clients,
        backoff,
        maxAttempts: 10_000,
        seed,
        deadlineMs: outageMs + 120_000,
        attemptTimeoutMs,
      });
    } finally {
      clearTimeout(heal);
    }
    const stats = await dependency.stats();
    const recoveredAt = Number.isNaN(recoveredAtEpoch)
      ? outageMs
      : recoveredAtEpoch - stats.epochMs;
    return summarise(backoff, result, outageMs, stats, recoveredAt);
  } finally {
    await proxy.delete();
  }
}

export interface AmplificationResult {
  budget: boolean;
  clients: number;
  maxAttempts: number;
  /** Requests the dependency received. */
  calls: number;
  /** calls / clients: 1.0 means no retries reached the dependency. */
  amplification: number;
  gaveUp: Record<string, number>;
}

/**
 * Load amplification at 100% failure: the dependency is down for the whole run; each
 * client makes one request with up to `maxAttempts` attempts, with or without one retry
 * budget shared by all clients (as one service's client library would share it).
 */
export async function runAmplification({
  dependency,
  clients,
  maxAttempts,
  withBudget,
  backoff,
  seed,
}: {
  dependency: Dependency;
  clients: number;
  maxAttempts: number;
  withBudget: boolean;
  backoff: BackoffOptions;
  seed: number;
}): Promise<AmplificationResult> {
  await dependency.startOutage(600_000);
  try {
    const result = await runClients({
      url: dependency.url,
      clients,
      backoff,
      maxAttempts,
      seed,
      budget: withBudget ? createRetryBudget({ ratio: 0.1, maxTokens: 10 }) : undefined,
    });
    const stats = await dependency.stats();
    const calls = stats.total.ok + stats.total.down + stats.total.overloaded;
    return {
      budget: withBudget,
      clients,
      maxAttempts,
      calls,
      amplification: Math.round((calls / clients) * 1000) / 1000,
      gaveUp: result.gaveUp,
    };
  } finally {
    await dependency.endOutage();
  }
}
