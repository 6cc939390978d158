import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/** Version of the Kafka broker running on this machine, read from its command line. */
export function localKafkaVersion(): string {
  try {
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    return /kafka[-_](?:2\.1[23]-)?(\d+\.\d+\.\d+)/.exec(ps)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function machine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
  };
}
