import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ensureUp, stop } from './services.ts';

// The shared brokers (kafka on 9092, kafka-cluster on 9092–9094) serve every lab at once; an
// experiment that stops or slows its broker needs one of its own.
const SHARED_PORTS = [9092, 9093, 9094];

export interface PrivateKafkaOptions {
  /** Where the broker listens on 127.0.0.1; never a shared broker's port. */
  port: number;
  /** Its pid file, logs and data (log segments, committed offsets). */
  stateDir: string;
  /** An address to advertise instead of its own, e.g. a toxiproxy listener in front of it. */
  advertised?: string;
  log?: (line: string) => void;
}

export interface PrivateKafka {
  /** Where it really listens, host:port. */
  address: string;
  /** Graceful stop (SIGTERM, as a rolling restart does); keeps the data. */
  stop(): Promise<void>;
  /** Start again on the same data: a real broker restart. Resolves once it answers. */
  start(): Promise<void>;
  /** Stop and delete its data. */
  destroy(): Promise<void>;
}

/**
 * A single KRaft broker of the caller's own, started and stopped through the services API
 * by its pid file, so stopping it never touches a broker someone else started.
 */
export async function startPrivateKafka(options: PrivateKafkaOptions): Promise<PrivateKafka> {
  if (SHARED_PORTS.includes(options.port)) {
    throw new Error(
      `port ${options.port} belongs to the shared brokers: a private broker needs its own`,
    );
  }
  const address = `127.0.0.1:${options.port}`;
  const stateDir = resolve(options.stateDir);
  const env = {
    ...process.env,
    KAFKA_BROKERS: address,
    SERVICES_STATE_DIR: stateDir,
    ...(options.advertised ? { KAFKA_ADVERTISED_LISTENER: options.advertised } : {}),
  };
  const services = { env, ...(options.log ? { log: options.log } : {}) };
  const start = async () => {
    const [up] = await ensureUp(['kafka'], services);
    // 'reused' means a broker we did not start answers there: stopping it is not ours to do.
    if (up?.outcome !== 'started' && up?.outcome !== 'running') {
      throw new Error(
        `a broker we did not start answers on ${address} (${up?.outcome}): stop it or choose another port`,
      );
    }
  };
  const stopBroker = async () => {
    await stop(['kafka'], services);
  };
  try {
    await start();
  } catch (err) {
    // A half-started broker of ours would outlive the caller (stop only touches our pid file).
    await stopBroker().catch(() => {});
    throw err;
  }
  return {
    address,
    stop: stopBroker,
    start,
    async destroy() {
      await stopBroker();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
