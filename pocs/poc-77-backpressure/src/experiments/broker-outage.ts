import type { ChildService } from '@pocs/shared/child-service';
import { serviceDefaults } from '@pocs/shared/config';
import { createToxiproxy, viaProxy } from '@pocs/shared/toxiproxy';
import { sleep, waitFor } from '@pocs/shared/wait';
import { startJobService } from './overload.ts';

export type OutageFault = 'reset_peer' | 'disable';

export interface PhaseCounts {
  sent: number;
  ok: number;
  /** 503 with a Retry-After header. */
  unavailable: number;
  /** Anything else: another status, a refused or reset connection, no answer in time. */
  failed: number;
  /** Requests not answered within `requestTimeoutMs`. */
  late: number;
}

export interface BrokerOutageResult {
  fault: OutageFault;
  /** Times the service process ended before the experiment stopped it. */
  exits: number;
  before: PhaseCounts;
  during: PhaseCounts;
  /** Requests sent from the moment /health said 200 again. */
  after: PhaseCounts;
  /** /health while the fault was on, and once it was lifted and the service recovered. */
  healthDuring: number | null;
  /** From the link being back to /health 200, ms (null: not within `recoverWithinMs`). */
  recoveredMs: number | null;
  /** The service's log lines at warn and above (its last 4 KB), to see what happened. */
  log: string;
}

const emptyCounts = (): PhaseCounts => ({ sent: 0, ok: 0, unavailable: 0, failed: 0, late: 0 });

/**
 * Broker mode under a broken link: the job service runs in its own process with RabbitMQ
 * behind a toxiproxy proxy; jobs flow at `ratePerSec`, then the link is cut (`reset_peer`:
 * every connection is reset as soon as data moves; `disable`: connections are cut and new
 * ones refused) for `faultSec`, then restored. Counts what each request got before, during
 * and after, and whether the process survived.
 *
 * Hypothesis: without 'error'/'close' handling, the first reset kills the process (an
 * 'error' event nobody listens to is thrown); with it, requests during the fault get 503
 * fast and the service serves again by itself once the link is back.
 */
export async function runBrokerOutage({
  port,
  proxyPort,
  fault = 'reset_peer',
  ratePerSec = 10,
  beforeSec = 1.5,
  faultSec = 3,
  afterSec = 3,
  requestTimeoutMs = 3_000,
  recoverWithinMs = 10_000,
  rabbitmqUrl = serviceDefaults.RABBITMQ_URL,
  toxiproxyUrl,
  env = {},
}: {
  port: number;
  /** Where the proxy to RabbitMQ listens (127.0.0.1). */
  proxyPort: number;
  fault?: OutageFault;
  ratePerSec?: number;
  beforeSec?: number;
  faultSec?: number;
  /** How long the load runs after the service is healthy again. */
  afterSec?: number;
  requestTimeoutMs?: number;
  recoverWithinMs?: number;
  rabbitmqUrl?: string;
  toxiproxyUrl?: string;
  env?: Record<string, string>;
}): Promise<BrokerOutageResult> {
  const upstream = new URL(rabbitmqUrl);
  const proxy = await createToxiproxy(toxiproxyUrl).createProxy({
    name: `poc77-broker-outage-${port}`,
    listen: `127.0.0.1:${proxyPort}`,
    upstream: `${upstream.hostname}:${upstream.port || 5672}`,
  });
  let service: ChildService | undefined;
  let stopping = false;
  let exits = 0;
  let log = '';
  const phases = { before: emptyCounts(), during: emptyCounts(), after: emptyCounts() };
  let phase: keyof typeof phases | 'recovering' = 'before';
  try {
    service = await startJobService({
      mode: 'broker',
      port,
      env: { RABBITMQ_URL: viaProxy(rabbitmqUrl, proxy.listen), ...env },
    });
    const { url } = service;
    service.process.on('exit', () => {
      if (!stopping) exits++;
    });
    const collect = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4_000);
    };
    service.process.stdout?.on('data', collect);
    service.process.stderr?.on('data', collect);

    const send = async (i: number): Promise<void> => {
      const at = phase;
      if (at === 'recovering') return;
      const counts = phases[at];
      counts.sent++;
      try {
        const res = await fetch(`${url}/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ task: `job-${i}` }),
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        await res.arrayBuffer();
        if (res.status === 200) counts.ok++;
        else if (res.status === 503 && res.headers.get('retry-after')) counts.unavailable++;
        else counts.failed++;
      } catch (err) {
        counts.failed++;
        if ((err as Error).name === 'TimeoutError') counts.late++;
      }
    };
    const health = async (): Promise<number> => {
      try {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        return res.status;
      } catch {
        return 0;
      }
    };

    // Open loop: one request every 1/rate s, whatever the answers do.
    const inFlight = new Set<Promise<void>>();
    let loading = true;
    const loader = (async () => {
      for (let i = 0; loading; i++) {
        const request = send(i);
        inFlight.add(request);
        void request.finally(() => inFlight.delete(request));
        await sleep(1000 / ratePerSec);
      }
    })();

    await sleep(beforeSec * 1000);
    phase = 'during';
    if (fault === 'reset_peer') {
      await proxy.addToxic({ name: 'reset', type: 'reset_peer', attributes: { timeout: 0 } });
    } else {
      await proxy.setEnabled(false);
    }
    await sleep((faultSec * 1000) / 2);
    const healthDuring = await health();
    await sleep((faultSec * 1000) / 2);
    phase = 'recovering';
    if (fault === 'reset_peer') await proxy.removeToxic('reset');
    else await proxy.setEnabled(true);
    const linkBackAt = performance.now();
    let recoveredMs: number | null = null;
    try {
      await waitFor(async () => (await health()) === 200, {
        timeoutMs: recoverWithinMs,
        intervalMs: 50,
        description: 'the service to answer /health 200 again',
      });
      recoveredMs = Math.round(performance.now() - linkBackAt);
      phase = 'after';
      await sleep(afterSec * 1000);
    } catch {
      // Not recovered: counted as null, the load stops.
    }
    loading = false;
    await loader;
    await Promise.all(inFlight);
    return { fault, exits, ...phases, healthDuring, recoveredMs, log };
  } finally {
    stopping = true;
    await service?.stop(5_000);
    await proxy.delete();
  }
}
