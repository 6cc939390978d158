import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';

// Each check proves the protocol works end to end, not just that a port is open, and gives up
// quickly so a caller can poll it against its own deadline.
const CHECK_TIMEOUT_MS = 2_000;

/** `SELECT 1` over a fresh connection: proves auth and the database exist. */
export async function checkPostgres(url: string): Promise<void> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: CHECK_TIMEOUT_MS,
    query_timeout: CHECK_TIMEOUT_MS,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}

export async function checkRedis(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CHECK_TIMEOUT_MS,
    // ioredis waits this long for a closed socket to "end" on disconnect, holding the event
    // loop (and the CLI) open for 2 s after a refused connection.
    disconnectTimeout: 0,
    commandTimeout: CHECK_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // ioredis rejects with a bare "Connection is closed"; the reason arrives as an event.
  let lastError: Error | undefined;
  client.on('error', (err: Error) => {
    lastError = err;
  });
  try {
    await client.connect().catch((err: unknown) => {
      throw lastError ?? err;
    });
    const reply = await client.ping();
    if (reply !== 'PONG') throw new Error(`PING answered ${reply}`);
  } finally {
    client.disconnect();
  }
}

/** The broker must answer metadata and know a controller (KRaft quorum is up). */
export const checkKafka = (brokers: string[]): Promise<void> => checkKafkaCluster(brokers, 1);

/**
 * Every broker of the list, asked on its own, sees `expected` brokers registered and an
 * elected controller. Asking one would not do: right after a start, the others may not have
 * heard of every node yet, and a client bootstrapped from them gets a partial cluster.
 */
export async function checkKafkaCluster(brokers: string[], expected: number): Promise<void> {
  const views = await Promise.allSettled(brokers.map((b) => describeFrom(b)));
  const registered = views.flatMap((v) => (v.status === 'fulfilled' ? [v.value] : []));
  const short = registered.find((c) => c.brokers.length < expected);
  if (short) {
    const ids = short.brokers.map((b) => b.nodeId).sort((a, b) => a - b);
    throw new Error(
      `${short.brokers.length} of ${expected} brokers registered (${ids.join(', ')})`,
    );
  }
  const failed = views.findIndex((v) => v.status === 'rejected');
  if (failed >= 0) {
    const reason = (views[failed] as PromiseRejectedResult).reason as Error;
    throw new Error(`${brokers[failed]}: ${reason.message}`, { cause: reason });
  }
  if (registered.some((c) => c.controller === null || c.controller < 0)) {
    throw new Error('no controller yet');
  }
}

/** describeCluster as one broker answers it (a client seeded with that broker alone). */
async function describeFrom(broker: string) {
  const admin = new Kafka({
    clientId: 'infra-health',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    connectionTimeout: CHECK_TIMEOUT_MS,
    requestTimeout: CHECK_TIMEOUT_MS * 2,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    return await admin.describeCluster();
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Connect and open a channel: RabbitMQ accepts TCP before the broker app has booted. */
export async function checkRabbitmq(url: string): Promise<void> {
  const connection = await amqp.connect(url, { timeout: CHECK_TIMEOUT_MS });
  connection.on('error', () => {});
  try {
    const channel = await connection.createChannel();
    await channel.close();
  } finally {
    await connection.close().catch(() => {});
  }
}

export async function checkToxiproxy(url: string): Promise<void> {
  const response = await fetch(new URL('/version', url), {
    signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`GET /version answered ${response.status}`);
  await response.text();
}
