import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createToxiproxy, type ProxyHandle, viaProxy } from '../src/toxiproxy.ts';
import { postgresUrl } from './pg-url.ts';

let proxy: ProxyHandle | undefined;
afterEach(async () => {
  await proxy?.delete();
  proxy = undefined;
});

async function timeQuery(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  await client.connect();
  const started = performance.now();
  await client.query('select 1');
  const ms = performance.now() - started;
  await client.end();
  return ms;
}

describe('toxiproxy client (real toxiproxy, real Postgres)', () => {
  it('adds latency to every response through the proxy, and removes it', async () => {
    const upstream = new URL(postgresUrl);
    proxy = await createToxiproxy().createProxy({
      name: `shared_test_${process.pid}`,
      listen: '127.0.0.1:25999',
      upstream: `${upstream.hostname}:${upstream.port}`,
    });
    const url = viaProxy(postgresUrl, proxy.listen);
    expect(await timeQuery(url)).toBeLessThan(50);
    await proxy.addToxic({
      name: 'slow',
      type: 'latency',
      attributes: { latency: 150, jitter: 0 },
    });
    expect(await timeQuery(url)).toBeGreaterThanOrEqual(145);
    await proxy.removeToxic('slow');
    expect(await timeQuery(url)).toBeLessThan(50);
  });

  it('refuses connections while the proxy is disabled', async () => {
    const upstream = new URL(postgresUrl);
    proxy = await createToxiproxy().createProxy({
      name: `shared_test_off_${process.pid}`,
      listen: '127.0.0.1:25998',
      upstream: `${upstream.hostname}:${upstream.port}`,
    });
    await proxy.setEnabled(false);
    await expect(timeQuery(viaProxy(postgresUrl, proxy.listen))).rejects.toThrow(
      /ECONNREFUSED|terminated|timeout/,
    );
    await proxy.setEnabled(true);
    expect(await timeQuery(viaProxy(postgresUrl, proxy.listen))).toBeLessThan(50);
  });

  it('reports API errors with the status and message', async () => {
    await expect(
      createToxiproxy().createProxy({
        name: 'bad',
        listen: 'not-an-address',
        upstream: '127.0.0.1:1',
      }),
    ).rejects.toThrow(/toxiproxy POST \/proxies answered \d{3}: .*missing port/);
  });
});
