import { randomUUID } from 'node:crypto';
import { serviceDefaults } from '@pocs/shared/config';
import { createToxiproxy, type ProxyHandle, viaProxy } from '@pocs/shared/toxiproxy';
import { waitFor } from '@pocs/shared/wait';
import type { Channel, ChannelModel } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BrokerUnavailableError,
  connectAmqp,
  ReconnectingConnection,
  withHeartbeat,
} from '../src/connection.ts';

// RabbitMQ behind toxiproxy: faults hit this test's own connections, never the shared broker.
const rabbitmqUrl = process.env.RABBITMQ_URL ?? serviceDefaults.RABBITMQ_URL;
const id = randomUUID().slice(0, 8);
let link: ProxyHandle;
beforeAll(async () => {
  const upstream = new URL(rabbitmqUrl);
  link = await createToxiproxy().createProxy({
    name: `rabbitmq-adapter-${id}`,
    listen: '127.0.0.1:27470',
    upstream: `${upstream.hostname}:${upstream.port || 5672}`,
  });
});
afterAll(() => link?.delete());
const viaLink = () => viaProxy(rabbitmqUrl, link.listen);

let rabbit: ReconnectingConnection | undefined;
afterEach(async () => {
  await rabbit?.close();
  rabbit = undefined;
  await link.removeToxic('fault');
  await link.setEnabled(true);
});

/** A connection whose setup opens one watched channel; counts the setups and events. */
function tracked() {
  const seen = { setups: 0, lost: 0, open: 0, channel: undefined as Channel | undefined };
  const connection: ReconnectingConnection = new ReconnectingConnection({
    url: viaLink(),
    connectTimeoutMs: 2_000,
    backoff: { strategy: 'none', baseMs: 50, capMs: 500 },
    setup: async (c: ChannelModel) => {
      seen.setups++;
      seen.channel = connection.watch(await c.createChannel(), 'test');
    },
  });
  connection.on('lost', () => seen.lost++);
  connection.on('open', () => seen.open++);
  return { connection, seen };
}

describe('withHeartbeat', () => {
  it('adds heartbeat to a URL without one and keeps one already there', () => {
    expect(withHeartbeat('amqp://u:p@h:5672/v', 5)).toBe('amqp://u:p@h:5672/v?heartbeat=5');
    expect(withHeartbeat('amqp://h:5672?heartbeat=30', 5)).toBe('amqp://h:5672?heartbeat=30');
  });
});

describe('connectAmqp', () => {
  it('a broker that never answers the handshake fails within the connect timeout', async () => {
    await link.addToxic({ name: 'fault', type: 'timeout', attributes: { timeout: 0 } });
    const started = performance.now();
    const err = await connectAmqp(viaLink(), { connectTimeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerUnavailableError);
    expect((err as Error).message).toMatch(/timed out after 500 ms/);
    expect((err as Error).message).not.toContain('guest:guest');
    // 10× margin: the bound is the point, not its exact value.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('ReconnectingConnection', () => {
  it.each(['reset_peer', 'disable'] as const)(
    'after a %s it reports the loss, fails fast while down, and rebuilds its channels when the link is back',
    async (fault) => {
      const { connection, seen } = tracked();
      rabbit = connection;
      await connection.start();
      expect(connection.state).toBe('open');
      expect(seen).toMatchObject({ setups: 1, open: 1, lost: 0 });

      if (fault === 'disable') await link.setEnabled(false);
      else {
        await link.addToxic({ name: 'fault', type: 'reset_peer', attributes: { timeout: 0 } });
        // Data must move for the reset to happen: a declare on the live channel.
        await seen.channel?.assertQueue('', { exclusive: true }).catch(() => {});
      }
      await waitFor(() => connection.state === 'reconnecting', {
        timeoutMs: 5_000,
        description: 'the loss to be noticed',
      });
      expect(seen.lost).toBe(1);
      expect(() => connection.connection).toThrow(BrokerUnavailableError);

      if (fault === 'disable') await link.setEnabled(true);
      else await link.removeToxic('fault');
      await waitFor(() => connection.state === 'open', {
        timeoutMs: 10_000,
        description: 'the connection to come back',
      });
      expect(seen).toMatchObject({ setups: 2, open: 2, lost: 1 });
      expect(connection.stats()).toMatchObject({ state: 'open', drops: 1, reconnects: 1 });
      // The rebuilt channel works.
      const made = await (seen.channel as Channel).assertQueue('', { exclusive: true });
      expect(made.queue).toMatch(/^amq\.gen-/);
    },
  );

  it('a channel the broker closes (404) is an error logged, not a crash, and setup builds it again', async () => {
    const { connection, seen } = tracked();
    rabbit = connection;
    await connection.start();
    const first = seen.channel as Channel;
    await expect(first.checkQueue(`no-such-queue-${id}`)).rejects.toThrow(/404|NOT_FOUND/);
    await waitFor(() => seen.setups === 2 && connection.state === 'open', {
      timeoutMs: 10_000,
      description: 'the connection to be recycled and set up again',
    });
    expect(seen.lost).toBe(1);
    expect(seen.channel).not.toBe(first);
  });

  it('close() stops for good: no reconnect afterwards', async () => {
    const { connection, seen } = tracked();
    await connection.start();
    await connection.close();
    expect(connection.state).toBe('closed');
    expect(seen.lost).toBe(0);
    expect(() => connection.connection).toThrow(BrokerUnavailableError);
  });
});
