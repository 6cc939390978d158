import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import {
  DatabaseUnavailableError,
  isConnectionLost,
  isQueryTimeoutError,
  PoolTimeoutError,
  QueryTimeoutError,
} from './errors.ts';
import { type Logger, silentLogger } from './log.ts';

export type PoolClient = pg.PoolClient;

export interface PoolOptions {
  connectionString: string;
  /** Label for logs and metrics; keep it a fixed word, never an id. */
  name?: string;
  /** Shown in pg_stat_activity, so the database side can be told apart per service. */
  applicationName?: string;
  max: number;
  /**
   * How long acquire() may wait for a free client, and for a new connection to open (pg's
   * `connectionTimeoutMillis`); 0 waits forever (pg's default, and a trap).
   */
  acquireTimeoutMs: number;
  idleTimeoutMs?: number;
  /**
   * Server-side cap for each statement (Postgres cancels it: SQLSTATE 57014). Default
   * 5 000 ms; 0 disables. Does nothing when the server or the network is frozen.
   */
  statementTimeoutMs?: number;
  /**
   * Client-side cap for each query (pg's `query_timeout`): the query rejects with a retriable
   * QueryTimeoutError and its client is destroyed, never reused. The one bound that holds when
   * the server freezes or the network drops packets silently. Default: the statement timeout
   * plus 1 000 ms, so the server normally cancels first (or 6 000 ms when the statement
   * timeout is 0); 0 disables.
   */
  queryTimeoutMs?: number;
  /**
   * TCP keepalive on every connection: the first probe after this much idle time. Default
   * 10 000 ms; 0 turns keepalive off. Finds a dead peer on an idle connection (after the OS's
   * probe interval and count); it is no bound on a query: queryTimeoutMs is.
   */
  keepAliveInitialDelayMs?: number;
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
  /** A query got no answer within queryTimeoutMs; its client is destroyed on release. */
  queryTimeout: [{ timeoutMs: number }];
}

/** The bounds a pool applies, every one in ms; 0 means off. */
export interface PoolTimeouts {
  acquireTimeoutMs: number;
  statementTimeoutMs: number;
  queryTimeoutMs: number;
  keepAliveInitialDelayMs: number;
}

/** What a pool gets when its options leave a bound out. */
export const poolTimeoutDefaults = Object.freeze({
  statementTimeoutMs: 5_000,
  /** The client waits this much longer than the server, so the server normally cancels first. */
  queryTimeoutMarginMs: 1_000,
  keepAliveInitialDelayMs: 10_000,
});

/**
 * Every bound of a pool, defaults applied. The client-side query timeout sits just above the
 * server's statement timeout: on a slow query Postgres cancels it (57014) and the connection
 * stays usable; only when no answer can come (frozen server, silent partition) does the
 * client give up and destroy the connection.
 */
export function resolvePoolTimeouts(
  options: Pick<
    PoolOptions,
    'acquireTimeoutMs' | 'statementTimeoutMs' | 'queryTimeoutMs' | 'keepAliveInitialDelayMs'
  >,
): PoolTimeouts {
  const statementTimeoutMs = options.statementTimeoutMs ?? poolTimeoutDefaults.statementTimeoutMs;
  const timeouts: PoolTimeouts = {
    acquireTimeoutMs: options.acquireTimeoutMs,
    statementTimeoutMs,
    queryTimeoutMs:
      options.queryTimeoutMs ??
      (statementTimeoutMs || poolTimeoutDefaults.statementTimeoutMs) +
        poolTimeoutDefaults.queryTimeoutMarginMs,
    keepAliveInitialDelayMs:
      options.keepAliveInitialDelayMs ?? poolTimeoutDefaults.keepAliveInitialDelayMs,
  };
  const bad = Object.entries(timeouts).filter(([, ms]) => !Number.isInteger(ms) || ms < 0);
  if (bad.length > 0) {
    throw new RangeError(
      `pool timeouts must be whole ms ≥ 0 (0 = off): ${bad.map(([k, ms]) => `${k}=${ms}`).join(', ')}`,
    );
  }
  return timeouts;
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
// pg's message when query_timeout fires. The query may still be running on the connection.
const PG_QUERY_TIMEOUT_MESSAGE = 'Query read timeout';

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/**
 * pg.Pool with the numbers you need when it starves: acquire wait, hold time,
 * timeouts that say how bad the queue was, and leak reports that name the
 * code that took the client. Emits events; metrics are wired by pool-metrics.ts.
 */
export class InstrumentedPool extends EventEmitter<PoolEvents> {
  readonly name: string;
  readonly max: number;
  /** The bounds in force, defaults applied (see resolvePoolTimeouts). */
  readonly timeouts: PoolTimeouts;
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
    const timeouts = resolvePoolTimeouts(options);
    this.timeouts = timeouts;
    if (timeouts.queryTimeoutMs > 0 && timeouts.queryTimeoutMs <= timeouts.statementTimeoutMs) {
      this.#log.warn(
        timeouts,
        'query timeout at or below the statement timeout: the client gives up first and the server keeps running the statement',
      );
    }
    this.#pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max,
      connectionTimeoutMillis: timeouts.acquireTimeoutMs,
      idleTimeoutMillis: options.idleTimeoutMs ?? 10_000,
      ...(options.applicationName ? { application_name: options.applicationName } : {}),
      ...(timeouts.statementTimeoutMs ? { statement_timeout: timeouts.statementTimeoutMs } : {}),
      ...(timeouts.queryTimeoutMs ? { query_timeout: timeouts.queryTimeoutMs } : {}),
      ...(timeouts.keepAliveInitialDelayMs
        ? { keepAlive: true, keepAliveInitialDelayMillis: timeouts.keepAliveInitialDelayMs }
        : {}),
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
   * Run fn with a client and always give it back, whatever fn does. A lost connection or a
   * query past queryTimeoutMs surfaces as a retriable DatabaseUnavailableError (a
   * QueryTimeoutError for the latter): the HTTP layer answers 503 + Retry-After.
   */
  async withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.acquire();
    let lost: Error | undefined;
    try {
      return await fn(client);
    } catch (err) {
      if (isQueryTimeoutError(err)) {
        lost = err;
        throw err;
      }
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
    const pgQuery = client.query;
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
        client.query = pgQuery;
        // A client whose connection died is destroyed, never handed to the next caller.
        pgRelease(err ?? lease.error);
      },
    };
    client.on('error', onError);
    this.#leases.add(lease);

    // pg's query_timeout only stops waiting: a query already sent keeps the connection busy, and
    // whatever it answers later would land on the next query. So a timeout marks the lease, the
    // client is destroyed on release, and later queries on this lease (a ROLLBACK in a catch
    // block) fail at once instead of queueing behind it for another full timeout.
    const queryTimeoutMs = this.timeouts.queryTimeoutMs;
    client.query = ((...args: unknown[]) => {
      if (lease.error && isQueryTimeoutError(lease.error)) {
        return Promise.reject(
          new QueryTimeoutError(
            `query not sent: an earlier query on this client timed out after ${queryTimeoutMs} ms`,
            queryTimeoutMs,
            lease.error,
          ),
        );
      }
      const result: unknown = Reflect.apply(pgQuery, client, args);
      // Callback and stream (Submittable) queries are passed through as they are.
      if (!isPromiseLike(result)) return result;
      return result.then(undefined, (err: unknown) => {
        if (!(err instanceof Error) || err.message !== PG_QUERY_TIMEOUT_MESSAGE) throw err;
        const timedOut = new QueryTimeoutError(
          `database unavailable: no answer to a query within ${queryTimeoutMs} ms`,
          queryTimeoutMs,
          err,
        );
        lease.error ??= timedOut;
        this.#log.warn({ err: timedOut }, 'query timed out: the client will be destroyed');
        this.emit('queryTimeout', { timeoutMs: queryTimeoutMs });
        throw timedOut;
      });
    }) as typeof client.query;

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
