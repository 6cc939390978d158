import { join } from 'node:path';
import { repoRoot } from '@pocs/infra/paths';
import { type PrivateKafka, startPrivateKafka } from '@pocs/infra/private-kafka';

/** Ports of this POC's own brokers (never the shared 9092–9094). */
export const TEST_BROKER_PORT = 9146;
export const BREAK_BROKER_PORT = 9147;

/**
 * A single KRaft broker of our own with its state under .services/<name>: a stop and start
 * is a real broker restart that keeps its data. The shared brokers are never touched.
 */
export interface PrivateBroker extends PrivateKafka {
  brokers: string;
  port: number;
}

export async function startPrivateBroker({
  port,
  stateName,
}: {
  port: number;
  /** Folder under .services/ for this broker's pid, logs and data. */
  stateName: string;
}): Promise<PrivateBroker> {
  const kafka = await startPrivateKafka({ port, stateDir: join(repoRoot, '.services', stateName) });
  return { ...kafka, brokers: kafka.address, port };
}
