import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type ChildService, startChildService } from '@pocs/shared/child-service';
import { createPool } from '@pocs/shared/pool';
import { createToxiproxy } from '@pocs/shared/toxiproxy';
import { sleep } from '@pocs/shared/wait';
import { type LedgerReport, reconcileLedgers } from '../ledger.ts';
import { backoffDelayMs } from './backoff.ts';

export const pocRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface PaymentsExperimentOptions {
  /** true = clients send an Idempotency-Key (the fix); false = BREAK_NO_IDEMPOTENCY=1. */
  withKeys: boolean;
  payments: number;
  /** Logical payments in flight at once. */
  concurrency: number;
  apiPort: number;
  providerPort: number;
  /** host:port of the toxiproxy proxy between API and provider (27301–27309). */
  proxyListen: string;
  postgresUrl: string;
  toxiproxyUrl?: string;
  /** Share of provider calls whose answer arrives after the API gave up (provider did charge). */
  slowShare: number;
  /** Share of provider connections reset by the network. */
  resetShare: number;
  /** The API's timeout for one provider call. */
  providerTimeoutMs: number;
  maxAttempts?: number;
  backoff?: { baseMs: number; capMs: number };
  keepData?: boolean;
  print?: (line: string) => void;
}

export interface PaymentsExperimentResult {
  mode: 'with-keys' | 'without-keys';
  payments: number;
  concurrency: number;
  /** Every HTTP attempt the clients made (first tries plus retries). */
  attempts: number;
  /** Attempts answered 503 or cut off: the client could not tell whether it paid. */
  faultedAttempts: number;
  faultShare: number;
  conflicts409: number;
  /** Logical payments that got a 201 in the end. */
  succeeded: number;
  gaveUp: number;
  durationMs: number;
  ledgers: LedgerReport;
}

const uniqueSchema = (label: string) =>
  `poc73_x_${label}_${Date.now().toString(36)}_${randomUUID().slice(0, 6)}`;

/**
 * The headline: N logical payments from retrying clients, with faults injected between
 * the API and the provider by toxiproxy (a latency larger than the API's timeout, so the
 * provider charges and the API never hears; and connection resets). Then the two ledgers
 * are compared: double charges and reconciliation.
 */
export async function runPaymentsExperiment(
  o: PaymentsExperimentOptions,
): Promise<PaymentsExperimentResult> {
  const print = o.print ?? (() => undefined);
  const apiSchema = uniqueSchema('api');
  const providerSchema = uniqueSchema('provider');
  const toxiproxy = createToxiproxy(o.toxiproxyUrl);
  const [, providerPortText] = o.proxyListen.split(':');
  const children: ChildService[] = [];
  const pool = createPool({ connectionString: o.postgresUrl, max: 2, acquireTimeoutMs: 10_000 });
  const proxy = await toxiproxy.createProxy({
    name: `poc73-${o.apiPort}`,
    listen: o.proxyListen,
    upstream: `127.0.0.1:${o.providerPort}`,
  });
  try {
    children.push(
      await startChildService({
        entry: 'src/provider/server.ts',
        cwd: pocRoot,
        port: o.providerPort,
        env: { POSTGRES_URL: o.postgresUrl, PROVIDER_SCHEMA: providerSchema, LOG_LEVEL: 'error' },
      }),
    );
    const api = await startChildService({
      entry: 'src/server.ts',
      cwd: pocRoot,
      port: o.apiPort,
      env: {
        POSTGRES_URL: o.postgresUrl,
        DB_SCHEMA: apiSchema,
        PROVIDER_URL: `http://127.0.0.1:${providerPortText}`,
        PROVIDER_TIMEOUT_MS: String(o.providerTimeoutMs),
        BREAK_NO_IDEMPOTENCY: o.withKeys ? '0' : '1',
        PG_POOL_MAX: '20',
        LOG_LEVEL: 'error',
      },
    });
    children.push(api);

    // Faults on the provider → API direction: the provider has committed by then.
    if (o.slowShare > 0) {
      await proxy.addToxic({
        name: 'slow',
        type: 'latency',
        toxicity: o.slowShare,
        attributes: { latency: o.providerTimeoutMs * 2, jitter: 0 },
      });
    }
    if (o.resetShare > 0) {
      await proxy.addToxic({
        name: 'reset',
        type: 'reset_peer',
        toxicity: o.resetShare,
        attributes: { timeout: 20 },
      });
    }
    print(
      `injected: latency ${o.providerTimeoutMs * 2} ms (> ${o.providerTimeoutMs} ms timeout) on ${pct(o.slowShare)} of provider connections, reset_peer on ${pct(o.resetShare)}`,
    );

    const maxAttempts = o.maxAttempts ?? 12;
    const backoff = o.backoff ?? { baseMs: 20, capMs: 500 };
    const runId = randomUUID().slice(0, 8);
    let attempts = 0;
    let faulted = 0;
    let conflicts = 0;
    let succeeded = 0;
    let gaveUp = 0;

    const payOnce = async (i: number) => {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-api-key': `client_${i % 4}`,
      };
      if (o.withKeys) headers['idempotency-key'] = `${runId}-${i}`;
      const body = JSON.stringify({ orderId: `order-${i}`, amountCents: 100 + (i % 900) });
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        if (attempt > 0) await sleep(backoffDelayMs(attempt, backoff));
        attempts++;
        let status: number;
        try {
          const res = await fetch(`${api.url}/payments`, { method: 'POST', headers, body });
          await res.arrayBuffer();
          status = res.status;
        } catch {
          faulted++;
          continue;
        }
        if (status === 201) {
          succeeded++;
          return;
        }
        if (status === 409) {
          conflicts++;
          continue;
        }
        if (status >= 500) {
          faulted++;
          continue;
        }
        throw new Error(
          `payment ${i} answered ${status}: the experiment sends only valid requests`,
        );
      }
      gaveUp++;
    };

    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < o.payments) await payOnce(next++);
    };
    // A line every 2 s: a 10,000-payment run takes close to a minute.
    const progress = setInterval(() => {
      const seconds = ((performance.now() - started) / 1000).toFixed(0).padStart(3);
      print(
        `t=${seconds} s  ${succeeded + gaveUp}/${o.payments} payments done, ${attempts} attempts, ` +
          `${faulted} faulted, ${conflicts} × 409, ${gaveUp} gave up`,
      );
    }, 2_000);
    try {
      await Promise.all(Array.from({ length: o.concurrency }, worker));
    } finally {
      clearInterval(progress);
    }
    const durationMs = Math.round(performance.now() - started);
    print('all payments answered; stopping both services and reconciling the two ledgers');

    await proxy.removeToxic('slow').catch(() => undefined);
    await proxy.removeToxic('reset').catch(() => undefined);
    // Stop both services before counting: the provider drains what is still in flight
    // (calls the API gave up on may land after the client's last answer).
    for (const child of children.splice(0).reverse()) await child.stop();
    const ledgers = await reconcileLedgers(pool, { apiSchema, providerSchema });
    return {
      mode: o.withKeys ? 'with-keys' : 'without-keys',
      payments: o.payments,
      concurrency: o.concurrency,
      attempts,
      faultedAttempts: faulted,
      faultShare: Math.round((faulted / attempts) * 1000) / 1000,
      conflicts409: conflicts,
      succeeded,
      gaveUp,
      durationMs,
      ledgers,
    };
  } finally {
    for (const child of children.reverse()) await child.stop();
    await proxy.delete().catch(() => undefined);
    if (!o.keepData) {
      await pool.query(`DROP SCHEMA IF EXISTS ${apiSchema} CASCADE`).catch(() => undefined);
      await pool.query(`DROP SCHEMA IF EXISTS ${providerSchema} CASCADE`).catch(() => undefined);
    }
    await pool.end();
  }
}

const pct = (share: number) => `${Math.round(share * 100)}%`;
