import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildService } from '@pocs/shared/child-service';
import autocannon from 'autocannon';

// The POC's folder: the child service runs src/server.ts from there.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Start the service in its own process with `env`, load it, stop it. */
export async function measureLatency({
  port,
  connections,
  durationSec,
  env = {},
}: {
  port: number;
  connections: number;
  durationSec: number;
  env?: Record<string, string>;
}) {
  const service = await startChildService({ entry: 'src/server.ts', cwd: root, port, env });
  try {
    const r = await autocannon({ url: `${service.url}/hello`, connections, duration: durationSec });
    return {
      connections,
      rps: r.requests.average,
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      non2xx: r.non2xx,
    };
  } finally {
    await service.stop();
  }
}
