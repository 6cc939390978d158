import { connect } from 'node:net';
import { createToxiproxy, type ProxyHandle } from '@pocs/shared/toxiproxy';
import { type ISocketFactory, logLevel } from 'kafkajs';
import { createKafka, parseBrokers } from './client.ts';

/**
 * A kafkajs socket factory that opens each broker connection at another address:
 * `routes` maps the address a broker advertises (`host:port`) to the one to dial instead,
 * such as a toxiproxy listener in front of that broker. Addresses without a route are
 * dialled as they are. Plain TCP only.
 */
export function routedSocketFactory(routes: ReadonlyMap<string, string>): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    if (ssl) throw new Error('routedSocketFactory: TLS is not supported');
    const to = routes.get(`${host}:${port}`);
    const [dialHost, dialPort] = to ? splitAddress(to) : [host, port];
    const socket = connect({ host: dialHost, port: dialPort }, onConnect);
    // kafkajs' own factory does the same.
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
}

const splitAddress = (address: string): [string, number] => {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
};

export interface BrokerLinks {
  /** Hand it to `createKafka({ socketFactory })`: that client's every connection crosses a proxy. */
  socketFactory: ISocketFactory;
  /** One proxy per broker, in the cluster's order. */
  proxies: ProxyHandle[];
  /** false = every link refused and every open connection cut, as if the brokers were gone. */
  setEnabled(enabled: boolean): Promise<void>;
  delete(): Promise<void>;
}

/**
 * One toxiproxy proxy in front of each broker of the cluster, for ONE client: a client built
 * with `socketFactory` reaches the brokers only through them (bootstrap and the addresses the
 * metadata advertises alike), while every other client, and every other lab on the shared
 * brokers, keeps talking to them directly. Disabling the proxies is a network partition
 * between that client and Kafka; the brokers themselves never stop.
 */
export async function proxyBrokerLinks(o: {
  brokers: string | readonly string[];
  /** Proxy names are `${name}-${nodeId}`: unique per test file. */
  name: string;
  /** Listeners on 127.0.0.1:firstPort, firstPort+1, … one per broker. */
  firstPort: number;
  toxiproxyUrl?: string;
}): Promise<BrokerLinks> {
  const bootstrap = typeof o.brokers === 'string' ? parseBrokers(o.brokers) : [...o.brokers];
  const admin = createKafka({
    brokers: bootstrap,
    clientId: `${o.name}-links`,
    level: logLevel.NOTHING,
    retry: { retries: 2 },
  }).admin();
  await admin.connect();
  const cluster = await admin.describeCluster().finally(() => admin.disconnect());
  const toxiproxy = createToxiproxy(o.toxiproxyUrl);
  const routes = new Map<string, string>();
  const proxies: ProxyHandle[] = [];
  const brokers = [...cluster.brokers].sort((a, b) => a.nodeId - b.nodeId);
  try {
    for (const [i, b] of brokers.entries()) {
      const advertised = `${b.host}:${b.port}`;
      const proxy = await toxiproxy.createProxy({
        name: `${o.name}-${b.nodeId}`,
        listen: `127.0.0.1:${o.firstPort + i}`,
        upstream: advertised,
      });
      proxies.push(proxy);
      routes.set(advertised, proxy.listen);
      // A bootstrap entry spelled differently (localhost vs 127.0.0.1) goes the same way.
      for (const entry of bootstrap) {
        if (splitAddress(entry)[1] === b.port) routes.set(entry, proxy.listen);
      }
    }
  } catch (err) {
    await Promise.all(proxies.map((p) => p.delete().catch(() => {})));
    throw err;
  }
  return {
    socketFactory: routedSocketFactory(routes),
    proxies,
    setEnabled: async (enabled) => {
      await Promise.all(proxies.map((p) => p.setEnabled(enabled)));
    },
    delete: async () => {
      await Promise.all(proxies.map((p) => p.delete()));
    },
  };
}
