/**
 * Cheap questions to the services a bench used, for the `machine.services` of its
 * results. Each answers within `timeoutMs` or says 'unknown (<why>)'; a bench never
 * fails because a version could not be read.
 */
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
  try {
    await within(timeoutMs, client.connect());
    const { rows } = await within(timeoutMs, client.query('SHOW server_version'));
    return String(rows[0].server_version);
  } catch (err) {
    return unknown(err);
  } finally {
    await client.end().catch(() => {});
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
