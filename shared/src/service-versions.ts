/**
 * Cheap questions to the services a bench used, for the `machine.services` of its
 * results. Each answers within `timeoutMs` or says 'unknown (<why>)'; a bench never
 * fails because a version could not be read.
 */
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import pg from 'pg';

const unknown = (err: unknown) => `unknown (${(err as Error).message ?? String(err)})`;

async function within<T>(timeoutMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `SHOW server_version` of the Postgres at `url`, e.g. "15.18 (Debian 15.18-0+deb12u1)". */
export async function postgresVersion(url: string, timeoutMs = 2_000): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // A connection that dies mid-probe (a restart) surfaces on the awaited call, not as a crash.
  client.on('error', () => {});
  try {
    await within(timeoutMs, client.connect());
    const { rows } = await within(timeoutMs, client.query('SHOW server_version'));
    return String(rows[0].server_version);
  } catch (err) {
    return unknown(err);
  } finally {
    // end() waits for the server to close: bounded too, for a server that stopped answering.
    await within(timeoutMs, client.end()).catch(() => {});
  }
}

/** `redis_version` from `INFO server` of the Redis at `url` (raw RESP, no client needed). */
export async function redisVersion(url: string, timeoutMs = 2_000): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
  try {
    return await within(
      timeoutMs,
      new Promise<string>((resolve, reject) => {
        let text = '';
        socket.on('error', reject);
        socket.on('connect', () => socket.write('*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n'));
        socket.on('data', (chunk) => {
          text += chunk.toString('utf8');
          if (text.startsWith('-')) reject(new Error(text.trim()));
          const m = /redis_version:(\S+)/.exec(text);
          if (m) resolve(m[1]!);
        });
      }),
    );
  } catch (err) {
    return unknown(err);
  } finally {
    socket.destroy();
  }
}

/** GET /version of the toxiproxy API at `url`. */
export async function toxiproxyVersion(url: string, timeoutMs = 2_000): Promise<string> {
  try {
    const res = await fetch(new URL('/version', url), { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.text()).trim();
    try {
      return String((JSON.parse(body) as { version?: string }).version ?? body);
    } catch {
      return body;
    }
  } catch (err) {
    return unknown(err);
  }
}

/**
 * RabbitMQ's version from the server-properties of its AMQP 0-9-1 Connection.Start (the
 * first frame it sends after the protocol header), without a client library.
 */
export async function rabbitmqVersion(url: string, timeoutMs = 2_000): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || 5672) });
  try {
    return await within(
      timeoutMs,
      new Promise<string>((resolve, reject) => {
        let bytes = Buffer.alloc(0);
        const key = Buffer.from('\u0007versionS', 'latin1');
        socket.on('error', reject);
        socket.on('connect', () => socket.write(Buffer.from([65, 77, 81, 80, 0, 0, 9, 1])));
        socket.on('data', (chunk) => {
          bytes = Buffer.concat([bytes, chunk]);
          const at = bytes.indexOf(key);
          if (at < 0 || bytes.length < at + key.length + 4) return;
          const len = bytes.readUInt32BE(at + key.length);
          const start = at + key.length + 4;
          if (bytes.length >= start + len)
            resolve(bytes.subarray(start, start + len).toString('utf8'));
        });
      }),
    );
  } catch (err) {
    return unknown(err);
  } finally {
    socket.destroy();
  }
}

/**
 * Version of the Kafka broker running on this machine, read from its command line (the
 * kafka_2.13-X.Y.Z / kafka-X.Y.Z jars on its classpath): Kafka does not tell clients its
 * version. 'unknown (…)' when no broker process is visible (e.g. Kafka in a container).
 */
export function localKafkaVersion(): string {
  try {
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    const version = /kafka[-_](?:2\.1[23]-)?(\d+\.\d+\.\d+)/.exec(ps)?.[1];
    return version ?? 'unknown (no Kafka broker process on this machine)';
  } catch (err) {
    return unknown(err);
  }
}
