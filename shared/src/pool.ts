import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { DatabaseUnavailableError, isConnectionLost, PoolTimeoutError } from './errors.ts';
import { type Logger, silentLogger } from './log.ts';

export type PoolClient = pg.PoolClient;

export interface PoolOptions {
  connectionString: string;
  /** Label for logs and metrics; keep it a fixed word, never an id. */
  name?: string;
  /** Shown in pg_stat_activity, so the database side can be told apart per service. */
  applicationName?: string;
  max: number;
  /** How long acquire() may wait for a free client; 0 waits forever (pg's default, and a trap). */
  acquireTimeoutMs: number;
  idleTimeoutMs?: number;
  /** Server-side cap for each statement; 0 disables. */
  statementTimeoutMs?: number;
  /** A client held longer than this is reported once as a leak; 0 disables. */
  leakDetectionThresholdMs?: number;
  /** Destroy a leaked client so the pool can replace it. Dangerous: the holder may still use it. */
  dangerouslyForceReleaseLeaks?: boolean;
  logger?: Logger;
}

export interface PoolStats {
  max: number;
  total: number;
  idle: number;
  waiting: number;
  /** Clients handed out and not yet released, as this wrapper counts them. */
  leased: number;
}

export interface LeakReport {
  pool: string;
  heldMs: number;
  thresholdMs: number;
  /** Stack of the code that acquired the client: the first frame below the pool is the culprit. */
  stack: string;
  forceReleased: boolean;
}

export interface PoolEvents {
  acquire: [{ waitMs: number }];
  release: [{ holdMs: number }];
  timeout: [{ waitMs: number; waiting: number }];
  leak: [LeakReport];
  /** A checked-out client's connection died (server restart, terminate, reset). */
  clientError: [{ err: Error }];
}

interface Lease {
  acquiredAt: number;
  stack: string;
  released: boolean;
  leakTimer: NodeJS.Timeout | undefined;
  /** Set when the connection died while leased: the client is destroyed on release, never reused. */
  error: Error | undefined;
  /** Give the client back to pg-pool (an error destroys it) and record the release. */
  giveBack: (err?: Error) => void;
}

// pg-pool's message when connectionTimeoutMillis fires, whether queued or connecting.
const PG_TIMEOUT_MESSAGE = 'timeout exceeded when trying to connect';

/**
 * pg.Pool with the numbers you need when it starves: acquire wait, hold time,
 * timeouts that say how bad the queue was, and leak reports that name the
 * code that took the client. Emits events; metrics are wired by pool-metrics.ts.
 */
export class InstrumentedPool extends EventEmitter<PoolEvents> {
  readonly name: string;
  readonly max: number;
  readonly #pool: pg.Pool;
  readonly #options: PoolOptions;
  readonly #log: Logger;
  readonly #leases = new Set<Lease>();

  constructor(options: PoolOptions) {
    super();
    this.#options = options;
    this.name = options.name ?? 'main';
    this.max = options.max;
    this.#log = (options.logger ?? silentLogger).child({ pool: this.name });
    this.#pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max,
      connectionTimeoutMillis: options.acquireTimeoutMs,
      idleTimeoutMillis: options.idleTimeoutMs ?? 10_000,
      ...(options.applicationName ? { application_name: options.applicationName } : {}),
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    });
    // An idle client can die (server restart, network cut). Without a listener pg
    // re-throws it and the process exits; the pool replaces the client on next use.
    this.#pool.on('error', (err) => this.#log.warn({ err }, 'idle client error'));
  }

  stats(): PoolStats {
    return {
      max: this.max,
      total: this.#pool.totalCount,
      idle: this.#pool.idleCount,
      waiting: this.#pool.waitingCount,
      leased: this.#leases.size,
    };
  }

  /** Check out a client. The caller must release() it: prefer withClient(). */
  async acquire(): Promise<PoolClient> {
    const holder: { stack?: string } = {};
    Error.captureStackTrace(holder, this.acquire);
    const started = performance.now();
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      const waitMs = Math.round(performance.now() - started);
      if (err instanceof Error && err.message.includes(PG_TIMEOUT_MESSAGE)) {
        // pg-pool has already dropped this caller from its queue: count it back in.
        const waiting = this.#pool.waitingCount + 1;
        this.emit('timeout', { waitMs, waiting });
        throw new PoolTimeoutError({ waitedMs: waitMs, poolMax: this.max, waiting }, err);
      }
      if (isConnectionLost(err)) {
        throw new DatabaseUnavailableError(
          `database unavailable: cannot connect (${(err as Error).message})`,
          err,
        );
      }
      throw err;
    }
    const acquiredAt = performance.now();
    this.emit('acquire', { waitMs: acquiredAt - started });
    this.#track(client, acquiredAt, stackBelowPool(holder.stack));
    return client;
  }

  /**
   * Run fn with a client and always give it back, whatever fn does. A lost connection surfaces
   * as a retriable DatabaseUnavailableError (the HTTP layer answers 503 + Retry-After).
   */
  async withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.acquire();
    let lost: Error | undefined;
    try {
      return await fn(client);
    } catch (err) {
      if (isConnectionLost(err)) {
        // The query can fail before the client's own 'error' event: release with the error
        // so pg-pool destroys the client instead of handing a dead one to the next caller.
        lost = err as Error;
        throw new DatabaseUnavailableError(
          `database unavailable: connection lost (${lost.message})`,
          err,
        );
      }
      throw err;
    } finally {
      client.release(lost);
    }
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return this.withClient((client) => client.query<R>(text, values));
  }

  /** Close every connection. Clients still leased are destroyed: pg-pool would wait for them forever. */
  async end(): Promise<void> {
    for (const lease of [...this.#leases]) {
      this.#log.warn(
        { stack: lease.stack },
        'pool ending with a client still leased: destroying it',
      );
      lease.giveBack(new Error('pool ended while the client was leased'));
    }
    await this.#pool.end();
  }

  #track(client: PoolClient, acquiredAt: number, stack: string): void {
    const pgRelease = client.release.bind(client);
    // pg-pool removes its own error listener while a client is checked out: a connection that
    // dies then (Postgres restarted, backend terminated, peer reset) would emit 'error' with no
    // listener and take the process down. Listen for the whole lease.
    const onError = (err: Error) => {
      lease.error ??= err;
      this.#log.warn({ err }, 'leased client lost its connection');
      this.emit('clientError', { err });
    };
    const lease: Lease = {
      acquiredAt,
      stack,
      released: false,
      leakTimer: undefined,
      error: undefined,
      giveBack: (err) => {
        lease.released = true;
        clearTimeout(lease.leakTimer);
        this.#leases.delete(lease);
        this.emit('release', { holdMs: performance.now() - acquiredAt });
        // Back in pg-pool's hands: it re-adds its idle listener (or destroys the client).
        client.removeListener('error', onError);
        // A client whose connection died is destroyed, never handed to the next caller.
        pgRelease(err ?? lease.error);
      },
    };
    client.on('error', onError);
    this.#leases.add(lease);

    // pg-pool installs a fresh release() on every checkout, so wrapping it per lease is safe.
    client.release = (err?: Error | boolean) => {
      if (lease.released) {
        // Late release after a forced one: the client is already gone; pg would throw.
        this.#log.warn({ stack }, 'release() called on a client that was already released');
        return;
      }
      lease.giveBack(
        err instanceof Error ? err : err === true ? new Error('released with destroy') : undefined,
      );
    };

    const thresholdMs = this.#options.leakDetectionThresholdMs ?? 0;
    if (thresholdMs > 0) {
      lease.leakTimer = setTimeout(() => this.#reportLeak(lease, thresholdMs), thresholdMs);
      lease.leakTimer.unref();
    }
  }

  #reportLeak(lease: Lease, thresholdMs: number): void {
    if (lease.released) return;
    const forceReleased = this.#options.dangerouslyForceReleaseLeaks === true;
    const report: LeakReport = {
      pool: this.name,
      heldMs: Math.round(performance.now() - lease.acquiredAt),
      thresholdMs,
      stack: lease.stack,
      forceReleased,
    };
    const { pool: _pool, ...fields } = report; // the child logger already carries the pool name
    this.#log.warn(fields, 'connection leak: client held past threshold');
    this.emit('leak', report);
    // An error makes pg-pool destroy the connection instead of reusing it.
    if (forceReleased) lease.giveBack(new Error(`force-released after ${report.heldMs} ms`));
  }
}

export function createPool(options: PoolOptions): InstrumentedPool {
  return new InstrumentedPool(options);
}

function stackBelowPool(stack: string | undefined): string {
  // Drop the "Error" header line; what is left starts at the caller of acquire().
  return (stack ?? '').split('\n').slice(1).join('\n');
}
