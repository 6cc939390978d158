import { EventEmitter } from 'node:events';
import { type BackoffOptions, backoffDelay, type Random } from '@pocs/shared/backoff';
import { PocError } from '@pocs/shared/errors';
import { type Logger, silentLogger } from '@pocs/shared/log';
import amqp, { type Channel, type ChannelModel } from 'amqplib';

/**
 * RabbitMQ cannot be reached right now: the connection is down and being re-established,
 * or a connect, publish or confirm did not finish in time. Retriable: a broker restart is
 * usually over in seconds, so callers answer 503 with Retry-After.
 */
export class BrokerUnavailableError extends PocError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause, retriable: true });
  }
}

export const isBrokerUnavailableError = (e: unknown): e is BrokerUnavailableError =>
  e instanceof BrokerUnavailableError;

/** The URL with its password masked, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid url)';
  }
}

/** The URL with `heartbeat=<sec>` added unless it names one already. */
export function withHeartbeat(url: string, heartbeatSec: number): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) {
    parsed.searchParams.set('heartbeat', String(heartbeatSec));
  }
  return parsed.toString();
}

export interface ConnectOptions {
  /** TCP connect plus the AMQP handshake, ms; amqplib has no bound of its own. */
  connectTimeoutMs?: number;
  /**
   * Heartbeat asked of the broker, s. A silent broker is noticed after two missed beats
   * (RabbitMQ's default 60 s means about 2 min).
   */
  heartbeatSec?: number;
}

/**
 * `amqp.connect` bounded by `connectTimeoutMs` in all (not only while the socket is idle).
 * A connection that opens after the deadline is closed. Failures are BrokerUnavailableError.
 */
export async function connectAmqp(
  url: string,
  { connectTimeoutMs = 5_000, heartbeatSec = 5 }: ConnectOptions = {},
): Promise<ChannelModel> {
  const pending = amqp.connect(withHeartbeat(url, heartbeatSec), { timeout: connectTimeoutMs });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new BrokerUnavailableError(
            `connect to ${redactUrl(url)} timed out after ${connectTimeoutMs} ms`,
          ),
        ),
      connectTimeoutMs,
    );
  });
  try {
    return await Promise.race([pending, timedOut]);
  } catch (err) {
    // The race is lost but the connect may still succeed: close what it opens.
    pending
      .then((late) => {
        late.on('error', () => {});
        return late.close();
      })
      .catch(() => {});
    if (isBrokerUnavailableError(err)) throw err;
    throw new BrokerUnavailableError(
      `connect to ${redactUrl(url)} failed: ${(err as Error).message}`,
      err,
    );
  } finally {
    clearTimeout(timer);
  }
}

export type AmqpState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ReconnectingConnectionOptions extends ConnectOptions {
  url: string;
  /**
   * Builds what the service needs on a fresh connection (channels, queues, consumers). Runs
   * on the first connect and again after every reconnect; a throw closes that connection
   * and the next attempt runs it again.
   */
  setup: (connection: ChannelModel) => Promise<void>;
  /** Delay between reconnect attempts; default full jitter, 100 ms doubling to 2 s. */
  backoff?: BackoffOptions;
  random?: Random;
  /** Where drops, retries and channel errors are logged; default silence. */
  logger?: Logger;
}

export interface ReconnectingConnectionStats {
  state: AmqpState;
  /** Times the connection was lost after it had been open. */
  drops: number;
  /** Times a lost connection was re-established (setup ran again). */
  reconnects: number;
  /** Failed reconnect attempts since the connection was lost. */
  failedAttempts: number;
}

/**
 * One AMQP connection for a service's whole life. The first `start()` fails when the broker
 * cannot be reached (a service should not come up without it); after that, a drop (broker
 * restart, reset, kill, heartbeat timeout, a channel closed by the broker) is never a crash:
 * 'lost' is emitted, `connection` throws BrokerUnavailableError, and the connection is
 * re-established with bounded backoff, running `setup` again, then 'open' is emitted.
 *
 * Events: 'open' (connection), 'lost' (error), 'retry' ({ attempt, delayMs, err }).
 */
export class ReconnectingConnection extends EventEmitter {
  readonly #options: ReconnectingConnectionOptions;
  readonly #log: Logger;
  readonly #backoff: BackoffOptions;
  #state: AmqpState = 'connecting';
  #current: ChannelModel | undefined;
  #timer: NodeJS.Timeout | undefined;
  #drops = 0;
  #reconnects = 0;
  #failedAttempts = 0;

  constructor(options: ReconnectingConnectionOptions) {
    super();
    this.#options = options;
    this.#log = options.logger ?? silentLogger;
    this.#backoff = options.backoff ?? { strategy: 'full', baseMs: 100, capMs: 2_000 };
  }

  get state(): AmqpState {
    return this.#state;
  }

  /** The open connection; BrokerUnavailableError while there is none. */
  get connection(): ChannelModel {
    if (this.#state === 'open' && this.#current) return this.#current;
    throw new BrokerUnavailableError(`RabbitMQ connection is ${this.#state}`);
  }

  stats(): ReconnectingConnectionStats {
    return {
      state: this.#state,
      drops: this.#drops,
      reconnects: this.#reconnects,
      failedAttempts: this.#failedAttempts,
    };
  }

  /** First connect and setup; rejects (BrokerUnavailableError, or setup's error) when either fails. */
  async start(): Promise<void> {
    await this.#open();
  }

  /**
   * Watch a channel for its whole life: an 'error' listener (amqplib throws on an 'error'
   * nobody listens to, which exits the process), and when the broker closes the channel
   * on its own (a 406 or 404, a consumer timeout), the connection is recycled so `setup`
   * builds every channel again. A close the service asks for is left alone.
   */
  watch<C extends Channel>(channel: C, name: string): C {
    let failed = false;
    channel.on('error', (err: Error) => {
      failed = true;
      this.#log.warn({ err, channel: name }, 'rabbitmq channel error');
    });
    channel.on('close', () => {
      // A channel closed by the broker got 'error' first; one closed with its connection did not.
      const connection = this.#current;
      if (!failed || !connection || this.#state !== 'open') return;
      this.#log.warn({ channel: name }, 'rabbitmq closed a channel: reconnecting to rebuild it');
      connection.close().catch(() => {});
    });
    return channel;
  }

  /** Stop for good: no more reconnects, the connection is closed. */
  async close(): Promise<void> {
    this.#state = 'closed';
    clearTimeout(this.#timer);
    const connection = this.#current;
    this.#current = undefined;
    await connection?.close().catch(() => {});
  }

  async #open(): Promise<void> {
    const connection = await connectAmqp(this.#options.url, this.#options);
    connection.on('error', (err: Error) => this.#log.warn({ err }, 'rabbitmq connection error'));
    connection.on('close', (err?: Error) => this.#onClose(connection, err));
    connection.on('blocked', (reason: string) =>
      this.#log.warn({ reason }, 'rabbitmq blocked this connection: publishes wait'),
    );
    connection.on('unblocked', () => this.#log.info('rabbitmq unblocked this connection'));
    try {
      await this.#options.setup(connection);
    } catch (err) {
      await connection.close().catch(() => {});
      throw err;
    }
    if (this.#state === 'closed') {
      await connection.close().catch(() => {});
      return;
    }
    this.#current = connection;
    this.#state = 'open';
    this.#failedAttempts = 0;
    this.emit('open', connection);
  }

  #onClose(connection: ChannelModel, err: Error | undefined): void {
    // Only the live connection matters: one that failed during setup was never adopted.
    if (this.#current !== connection) return;
    this.#current = undefined;
    if (this.#state === 'closed') return;
    this.#state = 'reconnecting';
    this.#drops++;
    const reason = err ?? new BrokerUnavailableError('RabbitMQ closed the connection');
    this.#log.warn({ err: reason }, 'rabbitmq connection lost: reconnecting');
    this.emit('lost', reason);
    this.#schedule(reason);
  }

  #schedule(err: unknown): void {
    if (this.#state === 'closed') return;
    const attempt = this.#failedAttempts;
    const delayMs = Math.round(backoffDelay(attempt, this.#backoff, this.#options.random));
    this.emit('retry', { attempt, delayMs, err });
    this.#timer = setTimeout(() => void this.#retry(), delayMs);
  }

  async #retry(): Promise<void> {
    if (this.#state === 'closed') return;
    try {
      await this.#open();
      if (this.#state !== 'open') return;
      this.#reconnects++;
      this.#log.info({ reconnects: this.#reconnects }, 'rabbitmq reconnected');
    } catch (err) {
      this.#failedAttempts++;
      this.#log.warn({ err, attempt: this.#failedAttempts }, 'rabbitmq reconnect failed');
      this.#schedule(err);
    }
  }
}
