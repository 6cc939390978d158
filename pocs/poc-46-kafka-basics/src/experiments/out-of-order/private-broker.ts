import { type PrivateKafka, startPrivateKafka } from '@pocs/infra/private-kafka';
import { createKafka } from '@pocs/kafka';
import { createToxiproxy, type ProxyHandle } from '@pocs/shared/toxiproxy';

export interface PrivateBrokerOptions {
  /** Where the broker really listens on 127.0.0.1, e.g. 9148. */
  brokerPort: number;
  /** The toxiproxy listener the broker advertises, so EVERY client request crosses it. */
  proxyAddress: string;
  /** Per-run state (data, logs, pid), separate from the shared broker's. */
  stateDir: string;
  toxiproxyUrl?: string;
  log?: (line: string) => void;
}

export interface PrivateBroker {
  /** Bootstrap list for clients: the proxy. */
  brokers: string[];
  proxy: ProxyHandle;
  stop(): Promise<void>;
}

/**
 * A single KRaft broker of our own behind toxiproxy. The broker advertises the proxy's
 * address, so after bootstrap the client's produce requests go through the proxy too
 * (a proxy on the bootstrap address alone would be bypassed by the metadata answer).
 * The proxy exists before the broker starts, so the broker's health check through it
 * works and faults never touch the shared broker that other labs use.
 */
export async function startPrivateBroker(options: PrivateBrokerOptions): Promise<PrivateBroker> {
  const toxiproxy = createToxiproxy(options.toxiproxyUrl);
  const proxy = await toxiproxy.createProxy({
    name: `poc46-ooo-${options.proxyAddress.split(':')[1]}`,
    listen: options.proxyAddress,
    upstream: `127.0.0.1:${options.brokerPort}`,
  });
  let kafka: PrivateKafka | undefined;
  const stopAll = async () => {
    await kafka?.stop().catch((err: unknown) => {
      options.log?.(`stopping the private broker failed: ${(err as Error).message}`);
    });
    await proxy.delete();
  };
  try {
    kafka = await startPrivateKafka({
      port: options.brokerPort,
      stateDir: options.stateDir,
      advertised: options.proxyAddress,
      ...(options.log ? { log: options.log } : {}),
    });
    await assertAdvertises(options.proxyAddress);
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { brokers: [options.proxyAddress], proxy, stop: stopAll };
}

/** Fail loudly if the broker advertises its own port: the faults would be bypassed. */
async function assertAdvertises(proxyAddress: string): Promise<void> {
  // Against the proxy address alone: what a client bootstraps from, and what it must be told.
  const kafka = createKafka({ brokers: [proxyAddress], clientId: 'poc46-ooo-advertised-check' });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { brokers } = await admin.describeCluster();
    const advertised = brokers.map((b) => `${b.host}:${b.port}`);
    if (!advertised.includes(proxyAddress)) {
      throw new Error(
        `private broker advertises ${advertised.join(', ')}, not the proxy ${proxyAddress}: ` +
          'infra must honour KAFKA_ADVERTISED_LISTENER, or requests would bypass toxiproxy',
      );
    }
  } finally {
    await admin.disconnect();
  }
}
