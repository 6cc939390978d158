import { request as httpRequest } from 'node:http';
import { PocError } from '@pocs/shared/errors';
import type { Charge } from './provider/app.ts';

/** The provider could not be reached or did not answer in time: it may or may not have charged. */
export class ProviderUnavailableError extends PocError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause, retriable: true });
  }
}
export const isProviderUnavailableError = (e: unknown): e is ProviderUnavailableError =>
  e instanceof ProviderUnavailableError;

export type ChargeResult =
  | { outcome: 'charged'; charge: Charge; replayed: boolean }
  | { outcome: 'declined'; reason: string };

/**
 * POST /charges on the provider. One fresh TCP connection per call (no keep-alive), so a
 * toxiproxy toxic with a toxicity below 1 hits a share of calls, not a share of sockets.
 */
export function createProviderClient({ url, timeoutMs }: { url: string; timeoutMs: number }) {
  const target = new URL('/charges', url);
  return {
    charge(
      body: { amountCents: number; reference: string },
      idempotencyKey?: string,
    ): Promise<ChargeResult> {
      const payload = JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const req = httpRequest(
          target,
          {
            method: 'POST',
            agent: false,
            timeout: timeoutMs,
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(payload),
              ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
            },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              text += chunk;
            });
            res.on('error', (err) =>
              reject(new ProviderUnavailableError('provider response cut off', err)),
            );
            res.on('end', () => {
              const status = res.statusCode ?? 0;
              try {
                if (status === 201) {
                  resolve({
                    outcome: 'charged',
                    charge: JSON.parse(text) as Charge,
                    replayed: res.headers['idempotent-replayed'] === 'true',
                  });
                } else if (status === 402) {
                  resolve({
                    outcome: 'declined',
                    reason: (JSON.parse(text) as { title: string }).title,
                  });
                } else if (status >= 500) {
                  reject(new ProviderUnavailableError(`provider answered ${status}`));
                } else {
                  reject(new PocError(`provider rejected the charge with ${status}: ${text}`));
                }
              } catch (err) {
                reject(new ProviderUnavailableError('provider sent an unreadable answer', err));
              }
            });
          },
        );
        // Timeout: the request may already have been processed; only a retry with the
        // same provider key can tell, without charging twice.
        req.on('timeout', () =>
          req.destroy(
            new ProviderUnavailableError(`provider gave no answer within ${timeoutMs} ms`),
          ),
        );
        req.on('error', (err) =>
          reject(
            err instanceof ProviderUnavailableError
              ? err
              : new ProviderUnavailableError(`provider call failed: ${err.message}`, err),
          ),
        );
        req.end(payload);
      });
    },
  };
}

export type ProviderClient = ReturnType<typeof createProviderClient>;
