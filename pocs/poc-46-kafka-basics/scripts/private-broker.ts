import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '@pocs/infra/paths';
import { ensureUp, stop } from '@pocs/infra/services';

/** Ports of this POC's own brokers (never the shared 9092–9094). */
export const TEST_BROKER_PORT = 9146;
export const BREAK_BROKER_PORT = 9147;

/**
 * A single KRaft broker of our own, started and stopped through the services API, with
 * its state (log segments, committed offsets) under .services/<name>: a stop and start is
 * a real broker restart that keeps its data. The shared brokers are never touched.
 */
export interface PrivateBroker {
  brokers: string;
  port: number;
  /** Graceful stop (SIGTERM, as a rolling restart does); resolves when the process is gone. */
  stop(): Promise<void>;
  /** Start it again on the same data; resolves when it answers metadata requests. */
  start(): Promise<void>;
  /** Stop and delete its data. */
  destroy(): Promise<void>;
}

export async function startPrivateBroker({
  port,
  stateName,
}: {
  port: number;
  /** Folder under .services/ for this broker's pid, logs and data. */
  stateName: string;
}): Promise<PrivateBroker> {
  if ([9092, 9093, 9094].includes(port)) {
    throw new Error(`port ${port} belongs to the shared brokers: a private broker needs its own`);
  }
  const stateDir = join(repoRoot, '.services', stateName);
  const brokers = `127.0.0.1:${port}`;
  const env = { ...process.env, KAFKA_BROKERS: brokers, SERVICES_STATE_DIR: stateDir };
  const start = async () => {
    const [up] = await ensureUp(['kafka'], { env });
    // 'reused' would mean someone else's broker answers there: stopping it is not ours to do.
    if (up?.outcome !== 'started' && up?.outcome !== 'running') {
      throw new Error(
        `a broker we did not start answers on ${brokers} (${up?.outcome}): stop it or choose another port`,
      );
    }
  };
  await start();
  const stopBroker = async () => {
    await stop(['kafka'], { env });
  };
  return {
    brokers,
    port,
    stop: stopBroker,
    start,
    async destroy() {
      await stopBroker();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
