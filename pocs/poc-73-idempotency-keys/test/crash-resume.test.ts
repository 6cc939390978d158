import { once } from 'node:events';
import { type ChildService, startChildService } from '@pocs/shared/child-service';
import { createPool } from '@pocs/shared/pool';
import { waitFor } from '@pocs/shared/wait';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pocRoot } from '../src/experiments/payments.ts';
import { dropSchemas, postgresUrl, startProvider, uniqueSchema } from './harness.ts';

const API_PORT = 3173;
const LOCK_TIMEOUT_MS = 1_000;
const pool = createPool({ connectionString: postgresUrl, max: 2, acquireTimeoutMs: 10_000 });
const providerSchema = uniqueSchema('prov');
const schemas: string[] = [providerSchema];
let provider: ChildService;

beforeAll(async () => {
  provider = await startProvider(3183, providerSchema);
});
afterAll(async () => {
  await provider?.stop();
  await dropSchemas(pool, ...schemas);
  await pool.end();
});

const startApi = (apiSchema: string, env: Record<string, string>) =>
  startChildService({
    entry: 'src/server.ts',
    cwd: pocRoot,
    port: API_PORT,
    env: {
      POSTGRES_URL: postgresUrl,
      DB_SCHEMA: apiSchema,
      PROVIDER_URL: provider.url,
      IDEMPOTENCY_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS),
      LOG_LEVEL: 'error',
      ...env,
    },
  });

const post = (url: string, orderId: string, key?: string) =>
  fetch(`${url}/payments`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': 'shop_a',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: JSON.stringify({ orderId, amountCents: 4200 }),
  });

async function chargesFor(orderId: string) {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${providerSchema}.charges WHERE reference = $1`,
    [orderId],
  );
  return Number(rows[0]!.n);
}

/** Pay with a key against an API that kills itself (SIGKILL) after the charge; restart; retry. */
async function crashThenRetry(crashPoint: '1' | 'before-record', withKeys: boolean) {
  const apiSchema = uniqueSchema('api');
  schemas.push(apiSchema);
  const orderId = `order-${crashPoint}-${withKeys}`;
  const key = withKeys ? `k-crash-${crashPoint}` : undefined;
  const env = { BREAK_NO_IDEMPOTENCY: withKeys ? '0' : '1' };
  const crashing = await startApi(apiSchema, { ...env, BREAK_CRASH_AFTER_CHARGE: crashPoint });
  const exited = once(crashing.process, 'exit');
  await expect(post(crashing.url, orderId, key)).rejects.toThrow(); // the socket dies with it
  const [, signal] = await exited;
  expect(signal).toBe('SIGKILL');
  const chargedBeforeRetry = await chargesFor(orderId);

  const restarted = await startApi(apiSchema, env);
  try {
    // The dead request still holds the key until its lock times out: 409 until then.
    const retry = await waitFor(
      async () => {
        const res = await post(restarted.url, orderId, key);
        return res.status === 409 ? null : res;
      },
      {
        timeoutMs: LOCK_TIMEOUT_MS * 10,
        intervalMs: 100,
        description: 'the retry to get past 409',
      },
    );
    return {
      chargedBeforeRetry,
      status: retry.status,
      body: (await retry.json()) as { status: string; chargeId: string },
      charges: await chargesFor(orderId),
      // The provider's ledger is shared by the three cases: compare this order only.
      recorded: (
        await pool.query<{ status: string; provider_charge_id: string | null }>(
          `SELECT status, provider_charge_id FROM ${apiSchema}.payments
           WHERE order_id = $1 AND status = 'succeeded'`,
          [orderId],
        )
      ).rows,
      providerChargeIds: (
        await pool.query<{ id: string }>(
          `SELECT 'ch_' || id AS id FROM ${providerSchema}.charges WHERE reference = $1 ORDER BY id`,
          [orderId],
        )
      ).rows.map((row) => row.id),
    };
  } finally {
    await restarted.stop();
  }
}

describe('P6 kill -9 after the provider charged', () => {
  it('after the charge was recorded: the retry returns the result, still 1 charge', async () => {
    const r = await crashThenRetry('1', true);
    expect(r.chargedBeforeRetry).toBe(1);
    expect(r.status).toBe(201);
    expect(r.body.status).toBe('succeeded');
    expect(r.charges).toBe(1);
    // Reconciled: one succeeded payment, recording exactly the provider's one charge.
    expect(r.recorded.map((p) => p.provider_charge_id)).toEqual(r.providerChargeIds);
    expect(r.body.chargeId).toBe(r.providerChargeIds[0]);
  });

  it('before the charge was recorded: the retry resumes at payment_created, still 1 charge', async () => {
    const r = await crashThenRetry('before-record', true);
    expect(r.chargedBeforeRetry).toBe(1);
    expect(r.status).toBe(201);
    expect(r.body.chargeId).toMatch(/^ch_/);
    expect(r.charges).toBe(1);
    // Reconciled: one succeeded payment, recording exactly the provider's one charge.
    expect(r.recorded.map((p) => p.provider_charge_id)).toEqual(r.providerChargeIds);
    expect(r.body.chargeId).toBe(r.providerChargeIds[0]);
  });

  it('without keys (the twin), the same crash and retry charge the customer twice', async () => {
    const r = await crashThenRetry('before-record', false);
    expect(r.chargedBeforeRetry).toBe(1);
    expect(r.status).toBe(201);
    expect(r.charges).toBe(2);
    // The first charge is in no ledger but the provider's: the crashed request never recorded it.
    expect(r.recorded).toHaveLength(1);
    expect(r.providerChargeIds).toHaveLength(2);
  });
});
